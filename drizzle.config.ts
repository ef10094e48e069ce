import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes SQL migrations for src/node/store/schema.ts into drizzle/.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/node/store/schema.ts",
  out: "./drizzle",
});
