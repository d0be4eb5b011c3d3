/**
 * Vs, the scheduling interface (H.627.2 9.3.1, I.1; NOTES 4; OVC dev_dispatcher.md):
 * `GET /Vs/getServerAddr?macid=…` answered with the servers to use and the platform's clock.
 * @module
 */
import { z } from 'zod';
import { HB_INTERVAL_MAX_S, HOST_MAX_CHARS, INFO_MAX_CHARS, PORT_MAX, SYNC_TIME_MAX_US, SYNC_TIME_US_PER_MS, VS_COUNT_MAX } from './constants.ts';
import { parseWith, type Result } from './errors.ts';
import { checkMacIdentity, DeviceIdentity } from './identity.ts';
import { text } from './text.ts';

/** Path of the scheduling request. */
export const VS_PATH = '/Vs/getServerAddr'; // H.627.2 I.1

/** Query of getServerAddr: `macid` is required (a GET body is ignored, NOTES 4). */
export const VsGetServerAddrQuery = z.object({ macid: DeviceIdentity });
/** A validated getServerAddr query, `macid` normalised. */
export type VsGetServerAddrQuery = z.infer<typeof VsGetServerAddrQuery>;

const Port = z.int().min(0).max(PORT_MAX);
const Domain = text(HOST_MAX_CHARS);

/** Successful getServerAddr answer (I.1 plus OVC's hibernation and P2P fields, NOTES 4). */
export const VsGetServerAddrResp = z.object({
  /** Signalling (Vd) server host. */
  PassDomain: Domain,
  /** P2P server host ('' when none). */
  P2p_passDomain: Domain,
  /** TURN server host ('' when none). */
  TurnDomain: Domain,
  /** Hibernation server host ('' when none). */
  HibernationDomain: Domain,
  /** Plain-WS Vd port: 0 unless an operator enables one for legacy devices. */
  PassPort: Port,
  /** WSS Vd port: non-zero tells the device to use WSS. */
  Secure_PassPort: Port,
  /** P2P server port. */
  P2p_passPort: Port,
  /** TURN server port. */
  TurnPort: Port,
  /** Platform clock, microseconds since the Unix epoch, an integer (NOTES 4). */
  SyncTime: z.int().min(0).max(SYNC_TIME_MAX_US),
  /** Hibernation server port (OVC). */
  HibernationPort: Port.optional(),
  /** Hibernation heartbeat interval in seconds (OVC). */
  HibernationHBInterval: z.int().min(0).max(HB_INTERVAL_MAX_S).optional(),
  /** Most P2P sessions the device should serve (OVC). */
  MaxP2PSession: z.int().min(0).max(VS_COUNT_MAX).optional(),
});
/** A getServerAddr answer. */
export type VsGetServerAddrResp = z.infer<typeof VsGetServerAddrResp>;

/** Failed Vs answer, sent with a 4xx/5xx status. */
export const VsFailure = z.object({ info: text(INFO_MAX_CHARS) });
/** A Vs failure body. */
export type VsFailure = z.infer<typeof VsFailure>;

/** Query parameters as a route sees them. */
export type QueryInput = URLSearchParams | Record<string, string | undefined>;

/**
 * Validate a getServerAddr request: the `macid` query parameter, and the `Mac-Identity` header when
 * sent (it must name the same device).
 * @example parseVsGetServerAddr(new URL(req.url).searchParams, req.headers.get('Mac-Identity'))
 */
export function parseVsGetServerAddr(query: QueryInput, macIdentity?: string | null): Result<VsGetServerAddrQuery> {
  const macid = query instanceof URLSearchParams ? (query.get('macid') ?? undefined) : query['macid'];
  const parsed = parseWith(VsGetServerAddrQuery, { macid }, 'query');
  if (!parsed.ok) return parsed;
  const header = checkMacIdentity(parsed.value.macid, macIdentity);
  return header.ok ? parsed : header;
}

/** Vs `SyncTime` for an instant given in milliseconds since the epoch (e.g. `Date.now()`). */
export function syncTimeFromMs(ms: number): number {
  return Math.round(ms) * SYNC_TIME_US_PER_MS;
}
