/**
 * The recorder's HTTP side (device/recorder.ts): Vr requests to the session's callback URL
 * (form-urlencoded, `Mac-Identity`, NOTES 14, 16) and segment uploads to the URL a `create` gave,
 * where the injected faults (broken-off and slow uploads) apply.
 * @module
 */
import { MAC_IDENTITY_HEADER } from '../protocol/identity.ts';
import { VR_REQUEST_CONTENT_TYPE, VR_SEGMENT_CONTENT_TYPE } from '../protocol/vr.ts';
import { errorText, HTTP_TIMEOUT_MS, type DeviceTls, type FetchLike } from './http.ts';

/** Bytes per chunk of a streamed (faulty or throttled) upload body. */
const UPLOAD_CHUNK_BYTES = 16 * 1024;

/** Faults to inject; change them at any time. */
export interface RecorderFaults {
  /** The next this many PUT attempts break off half way (the connection "drops"). */
  failUploads: number;
  /** Uploads trickle at this many bytes per second; 0 is full speed. */
  uploadBytesPerS: number;
}

/** The platform's answer to a Vr request (`info` is its message, or what went wrong on the way). */
export interface VrAnswer {
  ok: boolean;
  status: number;
  body: Record<string, unknown>;
  info: string;
}

/** How the recorder reaches the platform. */
export interface RecorderHttp {
  fetch: FetchLike;
  tls?: DeviceTls;
}

function tlsOf(http: RecorderHttp): { tls?: DeviceTls } {
  return http.tls ? { tls: http.tls } : {};
}

/** One Vr request (form-urlencoded, `Mac-Identity`, NOTES 14, 16). */
export async function vrRequest(http: RecorderHttp, cbkUrl: string, mac: string, form: Record<string, string>): Promise<VrAnswer> {
  try {
    const res = await http.fetch(cbkUrl, {
      method: 'POST',
      body: new URLSearchParams(form).toString(),
      headers: { 'Content-Type': VR_REQUEST_CONTENT_TYPE, [MAC_IDENTITY_HEADER]: mac },
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
      ...tlsOf(http),
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = {};
    }
    return { ok: res.ok, status: res.status, body, info: typeof body.info === 'string' ? body.info : `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, status: 0, body: {}, info: errorText(err) };
  }
}

/** PUT a segment; true, or why it failed. Faults apply here (a broken-off upload uses one up). */
export async function putSegment(http: RecorderHttp, faults: RecorderFaults, url: string, bytes: Uint8Array<ArrayBuffer>): Promise<true | string> {
  const breakOff = faults.failUploads > 0;
  if (breakOff) faults.failUploads--;
  const rate = faults.uploadBytesPerS;
  // The declared size, always (a camera knows its segment's size; an S3 presigned PUT signs it).
  const headers: Record<string, string> = { 'Content-Type': VR_SEGMENT_CONTENT_TYPE, 'Content-Length': String(bytes.length) };
  let body: BodyInit = bytes;
  if (breakOff || rate > 0) {
    // A streamed body: half of it then an error, or all of it at `rate`.
    let off = 0;
    body = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        if (breakOff && off >= bytes.length / 2) return ctl.error(new Error('connection dropped (injected)'));
        if (off >= bytes.length) return ctl.close();
        if (rate > 0) await Bun.sleep((UPLOAD_CHUNK_BYTES / rate) * 1000);
        ctl.enqueue(bytes.subarray(off, off + UPLOAD_CHUNK_BYTES));
        off += UPLOAD_CHUNK_BYTES;
      },
    });
  }
  try {
    const res = await http.fetch(url, {
      method: 'PUT',
      body,
      headers,
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS + bytes.length / Math.max(rate, 1)),
      ...tlsOf(http),
    });
    const text = await res.text();
    return res.ok ? true : `HTTP ${res.status} ${text}`;
  } catch (err) {
    return errorText(err);
  }
}
