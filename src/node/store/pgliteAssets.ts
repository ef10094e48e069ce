import initdbWasmPath from "@electric-sql/pglite/initdb.wasm" with { type: "file" };
import fsBundlePath from "@electric-sql/pglite/pglite.data" with { type: "file" };
import pgliteWasmPath from "@electric-sql/pglite/pglite.wasm" with { type: "file" };

/** What PGlite would otherwise load from files next to its own module. */
export interface PgliteAssets {
  pgliteWasmModule: WebAssembly.Module;
  initdbWasmModule: WebAssembly.Module;
  fsBundle: Blob;
}

let loading: Promise<PgliteAssets> | undefined;

/**
 * PGlite's WebAssembly modules and file-system bundle. PGlite finds these through
 * `import.meta.url`, which points nowhere on disk inside a `bun build --compile` binary; the
 * `type: "file"` imports make bun embed them, and here they are handed over explicitly.
 * Compiled once per process: every PGlite instance shares the modules.
 */
export function pgliteAssets(): Promise<PgliteAssets> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function load(): Promise<PgliteAssets> {
  const [pgliteWasmModule, initdbWasmModule, fsBundle] = await Promise.all([
    Bun.file(pgliteWasmPath)
      .arrayBuffer()
      .then((bytes) => WebAssembly.compile(bytes)),
    Bun.file(initdbWasmPath)
      .arrayBuffer()
      .then((bytes) => WebAssembly.compile(bytes)),
    Bun.file(fsBundlePath)
      .arrayBuffer()
      .then((bytes) => new Blob([bytes])),
  ]);
  return { pgliteWasmModule, initdbWasmModule, fsBundle };
}
