// Builds dist/connext-node: one executable holding bun, the node, its migrations and PGlite
// (wasm and data embedded by src/node/store/pgliteAssets.ts). `npm run build`.
import { mkdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";

const root = join(import.meta.dir, "..");
const outfile = join(root, "dist/connext-node");

await mkdir(join(root, "dist"), { recursive: true });
const result = await Bun.build({
  entrypoints: [join(root, "src/node/cli/main.ts")],
  compile: {
    outfile,
    // A bunfig.toml in the operator's working directory must not change how the node runs
    // (preloads, for one); a .env file there is read, as it is when run from source.
    autoloadBunfig: false,
    autoloadTsconfig: false,
    autoloadPackageJson: false,
  },
  minify: true,
  sourcemap: "linked",
});

if (!result.success) {
  for (const log of result.logs) process.stderr.write(`${log}\n`);
  process.exit(1);
}
const { size } = await stat(outfile);
process.stdout.write(`${relative(process.cwd(), outfile)} (${(size / 1e6).toFixed(1)} MB)\n`);
