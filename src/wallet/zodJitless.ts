// Imported first by main.ts, so that it runs before any module parses with zod: zod probes for
// eval (`new Function`) to compile its parsers, which the page's CSP refuses and reports.
import { config } from "zod";

config({ jitless: true });
