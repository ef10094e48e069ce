// A stand-in for the native `solc` binary that forge runs, backed by the `solc` npm package.
// forge cannot download compilers on machines without internet access; solc-js is pinned in
// package.json instead. forge needs two things from a compiler binary: `--version` answered
// the way native solc answers it, and `--standard-json` compilation from stdin.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const solc = require("solc");

const args = process.argv.slice(2);

if (args.includes("--version")) {
  // Native solc prints two lines; forge parses the `Version:` line.
  process.stdout.write(
    `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`,
  );
  process.exit(0);
}

if (!args.includes("--standard-json")) {
  process.stderr.write("solc bridge: only --version and --standard-json are supported\n");
  process.exit(1);
}

/** Values of a repeatable `--flag value` or `--flag=value` option. */
function optionValues(name) {
  const values = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name && i + 1 < args.length) values.push(args[i + 1]);
    else if (args[i].startsWith(`${name}=`)) values.push(args[i].slice(name.length + 1));
  }
  return values.flatMap((v) => v.split(","));
}

const roots = [...optionValues("--base-path"), ...optionValues("--include-path")];
if (roots.length === 0) roots.push(process.cwd());

/** Resolves imports that forge did not inline, from the base and include paths. */
function findImports(importPath) {
  const candidates = path.isAbsolute(importPath)
    ? [importPath]
    : roots.map((root) => path.resolve(root, importPath));
  for (const file of candidates) {
    if (fs.existsSync(file)) return { contents: fs.readFileSync(file, "utf8") };
  }
  return { error: `File not found: ${importPath}` };
}

const input = fs.readFileSync(0, "utf8");
process.stdout.write(solc.compile(input, { import: findImports }));
