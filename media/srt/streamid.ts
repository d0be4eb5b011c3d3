/**
 * The libsrt access-control stream id (`docs/features/access-control.md`) as this project uses it:
 * `#!::r=<stream_id>,m=<publish|request>,t=<token>` (NOTES.md errata 17; here `t` carries the token).
 * The same rules are implemented in C in `acl.c` for handshake time; this one re-checks after accept.
 */
import { SrtRejx, SRT_STREAMID_MAX_BYTES } from './constants.ts';

/** What a caller asks for: publish into a stream, or request (view) it. */
export type StreamMode = 'publish' | 'request';

/** A parsed access-control stream id. */
export interface AccessId {
  resource: string;
  mode: StreamMode;
  token: string;
}

/** Longest resource (stream id) or token in bytes; must match `ACL_ID_BYTES - 1` in acl.c. */
export const ACCESS_ID_FIELD_MAX_BYTES = 127;

/** The prefix of the `:`-syntax (`#!` then `:`, then content starting with `:`). */
const PREFIX = '#!::';

/** Result of {@link parseStreamId}: the id, or the rejection code a listener should answer. */
export type ParseResult = { ok: true; id: AccessId } | { ok: false; code: number; why: string };

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Percent-decode bytes; undefined on a broken escape. */
function percentDecode(bytes: Uint8Array): Uint8Array | undefined {
  const out = new Uint8Array(bytes.length);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    if (c !== 0x25) {
      out[o++] = c;
      continue;
    }
    const hi = hex(bytes[i + 1] ?? 0);
    const lo = hex(bytes[i + 2] ?? 0);
    if (hi < 0 || lo < 0) return undefined;
    out[o++] = (hi << 4) | lo;
    i += 2;
  }
  return out.subarray(0, o);
}

const bad = (why: string, code: number = SrtRejx.BAD_REQUEST): ParseResult => ({ ok: false, code, why });

/**
 * Parse a stream id, raw (`#!::r=…`) or percent-encoded (`%23%21%3A%3Ar%3D…`, errata 17). Keys other
 * than `r`, `m`, `t` are ignored; `m` defaults to `request` as in the libsrt convention.
 */
export function parseStreamId(raw: string | Uint8Array): ParseResult {
  let bytes = typeof raw === 'string' ? new TextEncoder().encode(raw) : raw;
  if (bytes.length > SRT_STREAMID_MAX_BYTES) return bad('too long');
  let text = new TextDecoder().decode(bytes);
  if (!text.startsWith(PREFIX)) {
    const decoded = percentDecode(bytes);
    if (!decoded || decoded.includes(0)) return bad('broken percent escape');
    bytes = decoded;
    text = new TextDecoder().decode(bytes);
    if (!text.startsWith(PREFIX)) return bad('not an access-control id');
  }
  const fields = new Map<string, string>();
  for (const pair of text.slice(PREFIX.length).split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) return bad('malformed key=value pair'); // no text: it may hold a token
    const key = pair.slice(0, eq);
    if ((key === 'r' || key === 'm' || key === 't') && fields.has(key)) return bad(`duplicate key ${key}`);
    fields.set(key, pair.slice(eq + 1));
  }
  const resource = fields.get('r');
  const token = fields.get('t');
  const mode = fields.get('m') ?? 'request';
  if (resource === undefined || token === undefined) return bad('r and t are required');
  const enc = new TextEncoder();
  if (enc.encode(resource).length > ACCESS_ID_FIELD_MAX_BYTES) return bad('r too long');
  if (enc.encode(token).length > ACCESS_ID_FIELD_MAX_BYTES) return bad('t too long');
  if (mode !== 'publish' && mode !== 'request') return bad(`unsupported mode ${mode}`, SrtRejx.BAD_MODE);
  return { ok: true, id: { resource, mode, token } };
}

/** Build a stream id; `encode` percent-encodes it whole (both forms are accepted by the MDU). */
export function formatStreamId(id: AccessId, encode = false): string {
  const raw = `${PREFIX}r=${id.resource},m=${id.mode},t=${id.token}`;
  return encode ? encodeURIComponent(raw).replace(/!/g, '%21') : raw;
}
