/** What a sign-in message says about the site it signs in to (EIP-4361 `domain` and `URI`). */
export interface SignInOrigin {
  /** host[:port], as a wallet compares it with the site asking for the signature. */
  domain: string;
  /** The public URL without a trailing slash, e.g. `https://node.example` or `…/connext`. */
  uri: string;
}

/**
 * The domain and URI of the node's public URL (PUBLIC_URL), in the WHATWG URL's normal form
 * (lowercase host, no default port), so the node and a client given the same URL agree on
 * them. Undefined for anything but an http(s) URL with a host and no credentials, query or
 * fragment: none of those belong in a domain or URI a wallet shows.
 */
export function signInOrigin(publicUrl: string): SignInOrigin | undefined {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    return undefined;
  }
  const plain = url.username === "" && url.password === "" && url.search === "" && url.hash === "";
  if (!["http:", "https:"].includes(url.protocol) || url.host === "" || !plain) return undefined;
  return { domain: url.host, uri: `${url.origin}${url.pathname.replace(/\/+$/, "")}` };
}
