/**
 * The INFO line a client reads first. Its fields and their order are nats-server's, so clients
 * make the same decisions (headers, max payload, auth) against either server.
 */

/** The nats-server release whose client protocol this broker reproduces. */
export const EMULATED_VERSION = "2.9.10";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** A server id shaped like nats-server's: 'N' and 55 base32 characters (a public nkey). */
export function newServerId(): string {
  const random = crypto.getRandomValues(new Uint8Array(55));
  let id = "N";
  for (const byte of random) id += BASE32[byte & 31];
  return id;
}

export interface ServerInfo {
  serverId: string;
  serverName: string;
  host: string;
  port: number;
  maxPayload: number;
  authRequired: boolean;
}

/**
 * A connection's challenge, as nats-server's: 11 random bytes, unpadded base64url. A client
 * with an nkey signs it in its CONNECT (`sig`), proving it holds the key its JWT names.
 */
export function newNonce(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(11))).toString("base64url");
}

/**
 * `INFO {...} \r\n` for one client (nats-server puts a space before the CRLF). `maxPayload`
 * differs from the server's in the INFO update sent to a connection with a lower limit; `nonce`
 * is sent in the first INFO only.
 */
export function infoLine(
  server: ServerInfo,
  clientId: number,
  clientIp: string,
  maxPayload = server.maxPayload,
  nonce?: string,
): Uint8Array {
  const info: Record<string, unknown> = {
    server_id: server.serverId,
    server_name: server.serverName,
    version: EMULATED_VERSION,
    proto: 1,
    go: `bun${Bun.version}`,
    host: server.host,
    port: server.port,
    headers: true,
  };
  if (server.authRequired) info.auth_required = true;
  info.max_payload = maxPayload;
  if (nonce !== undefined) info.nonce = nonce;
  info.client_id = clientId;
  info.client_ip = clientIp;
  return Buffer.from(`INFO ${JSON.stringify(info)} \r\n`);
}
