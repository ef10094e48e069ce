import { MemoryStore } from "./memory";
import { describeClientStore } from "./testing/conformance";

describeClientStore("MemoryStore", async () => new MemoryStore());
