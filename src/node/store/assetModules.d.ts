// PGlite's runtime files, imported `with { type: "file" }` (pgliteAssets.ts): bun gives the
// importer a path it can read, on disk or embedded in the compiled binary.
declare module "@electric-sql/pglite/pglite.wasm" {
  const path: string;
  export default path;
}
declare module "@electric-sql/pglite/initdb.wasm" {
  const path: string;
  export default path;
}
declare module "@electric-sql/pglite/pglite.data" {
  const path: string;
  export default path;
}
