import { describe } from "bun:test";
import { paymentsSuite } from "./paymentsSuite";
import { productionBackendMissing } from "./stack";

// Production engines: a PostgreSQL and a Debian nats-server the test starts on loopback.
const missing = productionBackendMissing();
if (missing) {
  console.warn(
    `\n!!! ${missing}\n!!! The end-to-end suite on PostgreSQL + nats-server is SKIPPED.\n`,
  );
}
describe.skipIf(missing !== undefined)("on PostgreSQL and nats-server", () => {
  paymentsSuite("PostgreSQL and nats-server", { backend: "production" });
});
