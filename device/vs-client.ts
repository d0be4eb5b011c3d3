/**
 * The PU's Vs call (H.627.2 9.3.1.1, I.1, NOTES 4): `GET /Vs/getServerAddr?macid=…` with the 9.2
 * `Mac-Identity` header, the answer checked with the catalog's schema.
 * @module
 */
import { MAC_IDENTITY_HEADER, parseWith, VS_PATH, VsFailure, VsGetServerAddrResp } from '../protocol/index.ts';
import type { DeviceHttp } from './http.ts';

/** Vs failed: an HTTP status (0 for a network failure) and the platform's `info`. */
export class VsError extends Error {
  constructor(
    readonly status: number,
    readonly info: string,
  ) {
    super(status === 0 ? info : `HTTP ${status}: ${info}`);
    this.name = 'VsError';
  }
}

/**
 * Ask the scheduling service where to connect.
 * @example await getServerAddr(new DeviceHttp({ rejectUnauthorized: false }), 'https://127.0.0.1:8443', 'a0b1c2d3e4f5')
 */
export async function getServerAddr(http: DeviceHttp, server: string, mac: string): Promise<VsGetServerAddrResp> {
  const url = new URL(VS_PATH, server);
  url.searchParams.set('macid', mac);
  let res: Response;
  try {
    res = await http.fetch(url, { headers: { [MAC_IDENTITY_HEADER]: mac } });
  } catch (err) {
    throw new VsError(0, err instanceof Error ? err.message : String(err));
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) throw new VsError(res.status, VsFailure.safeParse(body).data?.info ?? res.statusText);
  const parsed = parseWith(VsGetServerAddrResp, body, 'body');
  if (!parsed.ok) throw new VsError(res.status, `invalid answer: ${parsed.error}`);
  return parsed.value;
}
