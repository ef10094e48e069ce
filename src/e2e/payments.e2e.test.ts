import { paymentsSuite } from "./paymentsSuite";

// The embedded defaults: PGlite in the data directory and the node's own broker.
paymentsSuite("PGlite and the embedded broker", { backend: "embedded" });
