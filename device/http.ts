/**
 * HTTPS for the device: TLS options shared by fetch and the Vd WebSocket, and the PUT/GET calls
 * the device makes (Vs, upload URLs, firmware download). `fetch` is injectable so unit tests
 * can record requests without a server.
 * @module
 */

/** How the device checks the server's certificate: a CA (PEM text) to trust, or no check at all. */
export interface DeviceTls {
  /** PEM CA certificate(s) the server's certificate must chain to. */
  ca?: string;
  /** False skips verification (self-signed development certificates). */
  rejectUnauthorized?: boolean;
}

/** The subset of `fetch` the device uses (Bun's fetch, or a recorder in tests). */
export type FetchLike = (url: string | URL, init?: RequestInit & { tls?: DeviceTls }) => Promise<Response>;

/** How long the device waits for any HTTP exchange. Device's choice: the Vd RPC timeout (NOTES). */
export const HTTP_TIMEOUT_MS = 20_000;

/** The device's HTTP client: fetch with the device's TLS options and a timeout. */
export class DeviceHttp {
  /**
   * Whether the device may upload over https. A camera whose GetCap says no `https` (NOTES 9) has no TLS for the
   * URLs the signalling hands it: it refuses an https upload URL (Vs and Vd are TLS by the spec, and stay so).
   */
  httpsUploads = true;

  constructor(
    readonly tls: DeviceTls | undefined,
    private readonly fetchImpl: FetchLike = fetch as FetchLike,
  ) {}

  /** `fetch` with the device's TLS options and HTTP_TIMEOUT_MS. */
  fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const withTls = this.tls === undefined ? init : { ...init, tls: this.tls };
    return this.fetchImpl(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS), ...withTls });
  }

  /**
   * PUT raw bytes to a single-use upload URL; resolves with the HTTP status, rejects on a network
   * failure or a non-2xx answer.
   */
  async put(url: string, body: Uint8Array<ArrayBuffer>, contentType: string): Promise<number> {
    if (!this.httpsUploads && url.startsWith('https:')) throw new Error('this camera has no https (GetCap): it uploads only to http URLs');
    const res = await this.fetch(url, { method: 'PUT', body, headers: { 'Content-Type': contentType, 'Content-Length': String(body.byteLength) } });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`PUT answered HTTP ${res.status}`);
    return res.status;
  }

  /** GET a URL's bytes; rejects on a network failure or a non-2xx answer. */
  async get(url: string): Promise<Uint8Array> {
    const res = await this.fetch(url);
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`GET answered HTTP ${res.status}`);
    }
    return new Uint8Array(await res.arrayBuffer());
  }
}

/** The message of an unknown thrown value. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
