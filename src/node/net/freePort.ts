/** A TCP port that was free a moment ago on 127.0.0.1 (for servers tests and dev start). */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}
