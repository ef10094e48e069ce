/**
 * Subject rules, as nats-server applies them. Subjects are held as latin1 strings (one char per
 * wire byte) so that a Map key is exactly the bytes a client sent.
 */

const DOT = 46;
const STAR = 42;
const GT = 62;

/** A subscription subject: no empty token, and `>` (if any) only as the last token. */
export function isValidSubscribeSubject(subject: string): boolean {
  if (subject.length === 0) return false;
  let start = 0;
  for (let i = 0; i <= subject.length; i++) {
    if (i < subject.length && subject.charCodeAt(i) !== DOT) continue;
    if (i === start) return false;
    if (i - start === 1 && subject.charCodeAt(start) === GT && i !== subject.length) return false;
    start = i + 1;
  }
  return true;
}

/** A publish subject under `pedantic`: no empty token and no wildcard token. */
export function isValidLiteralSubject(subject: string): boolean {
  if (subject.length === 0) return false;
  let start = 0;
  for (let i = 0; i <= subject.length; i++) {
    if (i < subject.length && subject.charCodeAt(i) !== DOT) continue;
    if (i === start) return false;
    if (i - start === 1 && isWildcardCode(subject.charCodeAt(start))) return false;
    start = i + 1;
  }
  return true;
}

/** Whether any token is exactly `*` or `>`. */
export function hasWildcard(subject: string): boolean {
  let start = 0;
  for (let i = 0; i <= subject.length; i++) {
    if (i < subject.length && subject.charCodeAt(i) !== DOT) continue;
    if (i - start === 1 && isWildcardCode(subject.charCodeAt(start))) return true;
    start = i + 1;
  }
  return false;
}

function isWildcardCode(code: number): boolean {
  return code === STAR || code === GT;
}

/**
 * Whether every subject `subject` can name is also named by `pattern` (both tokenised).
 * For a literal subject this is plain matching; for a wildcard subscription it keeps a
 * permission on `a.*` from granting `a.>`.
 */
export function isSubsetOf(subject: readonly string[], pattern: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i] as string;
    if (want === ">") return i < subject.length && subject[i] !== "";
    const got = subject[i];
    if (got === undefined || got === "" || got === ">") return false;
    if (want !== "*" && want !== got) return false;
  }
  return subject.length === pattern.length;
}

/**
 * Whether the literal subject `subject` (a string, not split) is matched by `pattern`
 * (tokenised). Used to find which cached results a new or removed subscription affects.
 */
export function subjectMatches(subject: string, pattern: readonly string[]): boolean {
  let start = 0;
  for (let t = 0; t < pattern.length; t++) {
    if (start > subject.length) return false;
    let end = subject.indexOf(".", start);
    if (end === -1) end = subject.length;
    const want = pattern[t] as string;
    if (want === ">") return end > start;
    if (end === start) return false;
    if (want !== "*" && (end - start !== want.length || !subject.startsWith(want, start))) {
      return false;
    }
    start = end + 1;
  }
  return start === subject.length + 1;
}
