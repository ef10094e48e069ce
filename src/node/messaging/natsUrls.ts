/**
 * NATS_URL's servers: one URL or several comma-separated (a cluster). The node connects with
 * all of them and hands all of them to clients (/config's messagingUrls), so both fail over to
 * another server when one goes away.
 */
export function natsUrls(natsUrl: string): string[] {
  return natsUrl
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}
