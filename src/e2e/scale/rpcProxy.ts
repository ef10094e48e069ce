import type { Socket } from "bun";

/**
 * A TCP proxy on 127.0.0.1 in front of the chain's RPC that a test can cut and restore: cut,
 * every open connection is dropped and new ones are closed as they arrive, so the node sees
 * the RPC unreachable; restored, connections pass again.
 */
export interface RpcProxy {
  /** Give this to the node instead of the RPC's URL. */
  url: string;
  cut(): void;
  restore(): void;
  /** Connections refused while cut (to see that the node did try). */
  refused(): number;
  stop(): void;
}

/** One side of a proxied connection, with what it could not take yet (backpressure). */
interface End {
  socket?: Socket<Link>;
  queued: Uint8Array[];
}

interface Link {
  client: End;
  upstream: End;
}

function send(end: End, chunk: Uint8Array): void {
  if (!end.socket || end.queued.length > 0) {
    end.queued.push(chunk);
    return;
  }
  const written = end.socket.write(chunk);
  if (written < chunk.length) end.queued.push(chunk.subarray(written));
}

function flush(end: End): void {
  while (end.socket && end.queued.length > 0) {
    const chunk = end.queued[0] as Uint8Array;
    const written = end.socket.write(chunk);
    if (written < chunk.length) {
      end.queued[0] = chunk.subarray(written);
      return;
    }
    end.queued.shift();
  }
}

export function startRpcProxy(upstreamUrl: string): RpcProxy {
  const upstream = new URL(upstreamUrl);
  let isCut = false;
  let refused = 0;
  const links = new Set<Link>();
  const drop = (link: Link) => {
    links.delete(link);
    link.client.socket?.terminate();
    link.upstream.socket?.terminate();
  };

  const listener = Bun.listen<Link | undefined>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        if (isCut) {
          refused++;
          client.terminate();
          return;
        }
        const link: Link = {
          client: { socket: client as Socket<Link>, queued: [] },
          upstream: { queued: [] },
        };
        client.data = link;
        links.add(link);
        Bun.connect<Link>({
          hostname: upstream.hostname,
          port: Number(upstream.port),
          data: link,
          socket: {
            open(socket) {
              link.upstream.socket = socket;
              flush(link.upstream);
            },
            data: (_socket, chunk) => send(link.client, new Uint8Array(chunk)),
            drain: () => flush(link.upstream),
            close: () => drop(link),
            error: () => drop(link),
          },
        }).catch(() => drop(link));
      },
      data(client, chunk) {
        if (client.data) send(client.data.upstream, new Uint8Array(chunk));
      },
      drain(client) {
        if (client.data) flush(client.data.client);
      },
      close(client) {
        if (client.data) drop(client.data);
      },
    },
  });
  return {
    url: `http://127.0.0.1:${listener.port}`,
    cut() {
      isCut = true;
      for (const link of [...links]) drop(link);
    },
    restore() {
      isCut = false;
    },
    refused: () => refused,
    stop() {
      isCut = true;
      for (const link of [...links]) drop(link);
      listener.stop(true);
    },
  };
}
