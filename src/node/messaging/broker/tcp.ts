import type { Socket, TCPSocketListener } from "bun";
import type { Connection, Transport } from "./connection";
import type { CloseReason } from "./errors";
import type { BrokerCore } from "./server";

type TcpSocket = Socket<Connection | undefined>;

/** The TCP listener: Bun's socket events handed to connections. */
export function listenTcp(core: BrokerCore): TCPSocketListener<Connection | undefined> {
  const { host, port } = core.options;
  return Bun.listen<Connection | undefined>({
    hostname: host,
    port,
    socket: {
      open(socket) {
        socket.setNoDelay(true);
        socket.data = core.open(tcpTransport(socket), socket.remoteAddress);
      },
      data(socket, chunk) {
        socket.data?.receive(chunk);
      },
      drain(socket) {
        socket.data?.drained();
      },
      close(socket) {
        socket.data?.transportClosed();
      },
      error(socket) {
        socket.data?.transportClosed();
      },
    },
  });
}

function tcpTransport(socket: TcpSocket): Transport {
  return {
    write: (bytes, start, end) => socket.write(bytes, start, end - start),
    held: () => 0,
    // end(): the kernel still sends what it holds (the last -ERR), then FIN.
    close: (_reason: CloseReason) => socket.end(),
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}
