/**
 * Whether this code runs inside the executable `bun build --compile` made (dist/connext-node)
 * rather than from source: there, modules live in Bun's embedded file system, whose paths
 * start with `/$bunfs/` (`B:/~BUN/` on Windows). Advice differs: the binary has no
 * node_modules, so "run npm install" means nothing to its user.
 */
export function runsAsCompiledBinary(modulePath: string = import.meta.path): boolean {
  return modulePath.startsWith("/$bunfs/") || /^[A-Za-z]:[\\/]~BUN[\\/]/.test(modulePath);
}
