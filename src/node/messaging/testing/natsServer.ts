import { connect } from "node:net";
import { freePort } from "../../net/freePort";

/** Debian's nats-server (or NATS_SERVER), for tests that run the node against a real one. */
export const NATS_SERVER_BIN: string | null = process.env.NATS_SERVER
  ? Bun.which(process.env.NATS_SERVER)
  : (Bun.which("nats-server") ??
    Bun.which("nats-server", { PATH: "/usr/sbin:/usr/local/sbin:/usr/local/bin" }));

export const NATS_SERVER_MISSING =
  "nats-server is NOT INSTALLED: the runs against a real NATS server are SKIPPED. " +
  "Install the Debian package: sudo apt-get install nats-server (or set NATS_SERVER).";

export interface NatsServer {
  url: string;
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  /**
   * A configuration file (e.g. from `connext-node nats-config`); the loopback address and the
   * free port given on the command line override its `host` and `port`.
   */
  configFile?: string;
}

/** Starts nats-server on a free loopback port and waits until it accepts connections. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  if (!NATS_SERVER_BIN) throw new Error(NATS_SERVER_MISSING);
  const port = freePort();
  const config = options.configFile ? ["-c", options.configFile] : [];
  const proc = Bun.spawn([NATS_SERVER_BIN, ...config, "-a", "127.0.0.1", "-p", String(port)], {
    stdout: "ignore",
    stderr: "pipe",
  });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill();
      const stderr = await new Response(proc.stderr).text().catch(() => "");
      throw new Error(`nats-server did not start on port ${port}: ${stderr.trim().slice(-500)}`);
    }
    await Bun.sleep(20);
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      proc.kill();
      await proc.exited;
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
