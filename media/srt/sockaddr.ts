/**
 * `struct sockaddr_in` / `sockaddr_in6` as bytes, for `srt_bind`, `srt_connect` and the peer
 * addresses libsrt hands back. Literal addresses only: resolve names before calling (DNS is async).
 */

/** Linux address family numbers (`AF_INET`, `AF_INET6`). */
export const AF_INET = 2;
/** See {@link AF_INET}. */
export const AF_INET6 = 10;

/** Size of `struct sockaddr_in6`, the largest address libsrt uses: scratch buffers take this size. */
export const SOCKADDR_MAX_BYTES = 28;

/** An IP endpoint as text. */
export interface Endpoint {
  host: string;
  port: number;
}

function parseIpv4(host: string): number[] | undefined {
  const parts = host.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : undefined;
}

function parseIpv6(host: string): number[] | undefined {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (!h.includes(':')) return undefined;
  const [head = '', tail, extra] = h.split('::');
  if (extra !== undefined) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const all = [...left, ...Array<string>(Math.max(missing, 0)).fill('0'), ...right];
  const bytes: number[] = [];
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const v = parseInt(g, 16);
    bytes.push(v >> 8, v & 0xff);
  }
  return bytes;
}

/** Encode `host:port` (an IPv4 or IPv6 literal, or `localhost`) as a sockaddr. */
export function encodeSockaddr(host: string, port: number): Uint8Array {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new RangeError(`bad port ${port}`);
  const name = host === 'localhost' ? '127.0.0.1' : host;
  const v4 = parseIpv4(name);
  if (v4) {
    const out = new Uint8Array(16);
    const view = new DataView(out.buffer);
    view.setUint16(0, AF_INET, true);
    view.setUint16(2, port, false);
    out.set(v4, 4);
    return out;
  }
  const v6 = parseIpv6(name);
  if (v6) {
    const out = new Uint8Array(SOCKADDR_MAX_BYTES);
    const view = new DataView(out.buffer);
    view.setUint16(0, AF_INET6, true);
    view.setUint16(2, port, false);
    out.set(v6, 8);
    return out;
  }
  throw new RangeError(`not an IP literal: ${host} (resolve names before calling)`);
}

/** Decode a sockaddr written by libsrt; undefined for an unknown family. */
export function decodeSockaddr(bytes: Uint8Array): Endpoint | undefined {
  if (bytes.byteLength < 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const family = view.getUint16(0, true);
  const port = view.getUint16(2, false);
  if (family === AF_INET && bytes.byteLength >= 8) return { host: Array.from(bytes.subarray(4, 8)).join('.'), port };
  if (family === AF_INET6 && bytes.byteLength >= 24) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(view.getUint16(8 + 2 * i, false).toString(16));
    const text = groups
      .join(':')
      .replace(/(^|:)0(:0)+(:|$)/, '::')
      .replace(/:{3,}/, '::');
    return { host: text, port };
  }
  return undefined;
}

/** `host:port`, bracketing IPv6 hosts. */
export function formatEndpoint(e: Endpoint): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}
