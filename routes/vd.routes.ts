/**
 * Vd, the device management interface (H.627.2 9.3.2): `GET /Vd?login_code=…` upgrades to a
 * WebSocket once the login is checked (Table 9-3); then every frame is parsed, validated against
 * the catalog, and handed to its handler (services/vd/vd-inbound.ts) or matched to its request.
 */
import { Hono } from 'hono';
import type { Server, ServerWebSocket } from 'bun';
import { randomUUID } from 'node:crypto';
import { parseVdFrame, vdError, vdResponse } from '../protocol/vd-frame.ts';
import { acceptsVd, isVdName, validateVdParams } from '../protocol/vd.ts';
import { VD_ERR } from '../protocol/constants.ts';
import { parseVdLogin } from '../protocol/vd-login.ts';
import { puActorId } from '../actors/machines/pu.machine.ts';
import type { AppServices } from './app.ts';
import { CLOSE_POLICY, VdConnection } from '../services/vd/vd-connections.ts';
import { ERR_BAD_INPUT, InboundError, type PuMessageName } from '../services/vd/vd-inbound.ts';
import { ERR_OVER_BUDGET, VD_OVERRUNS_TO_CLOSE } from '../services/vd/vd-budget.ts';
import { VD_REPLIES_PENDING_MAX } from '../services/vd/vd-reply-order.ts';
import type { SocketData, SocketHandler } from './ws.ts';
import { deviceUnavailableHandler } from './problem.ts';
import { clientIp } from './client-ip.ts';

/** Malformed frames in a row after which the socket is closed. */
export const VD_GARBAGE_LIMIT = 10;
/** Longest message name quoted back in a log line or an `err` (names are at most a few dozen characters). */
const LOGGED_NAME_MAX_CHARS = 64;

type Login = { deviceId: string; macId: string; reconnect: boolean; hardwareModel: string; firmwareModel: string; sdk?: string; ip?: string };
type VdState = { login: Login; conn?: VdConnection };
type VdWs = ServerWebSocket<SocketData<VdState>>;
/** What the Vd endpoint uses. */
type VdRouteDeps = Pick<AppServices, 'auth' | 'vd' | 'inbound' | 'host' | 'live' | 'sdplay' | 'log' | 'rateLog'>;

/** The Vd endpoint: the upgrade route and the socket handler. */
export function vdRoutes(p: VdRouteDeps) {
  const handler = vdSocketHandler(p);
  // A login the database's absence stops is a 503 {info} with Retry-After (the device retries).
  return new Hono<{ Bindings: Server<SocketData> }>().onError(deviceUnavailableHandler).get('/Vd', async (c) => {
    const info = (status: 400 | 401 | 426 | 429, text: string, headers: Record<string, string> = {}) => c.json({ info: text }, status, headers);
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return info(426, 'Vd is a WebSocket endpoint (Upgrade: websocket)');
    const q = parseVdLogin(new URL(c.req.url).searchParams);
    if (!q.ok) return info(400, q.error);
    const ip = clientIp(c);
    const verdict = await p.auth.login(q.value, ip);
    if (!verdict.ok) return info(verdict.status, verdict.reason, verdict.retryAfterS ? { 'Retry-After': String(verdict.retryAfterS) } : {});
    const logins = p.vd.budgets.logins.of(verdict.deviceId);
    if (!logins.take()) return info(429, 'too many logins of this device: reconnect later', { 'Retry-After': String(Math.ceil(logins.waitMs() / 1000)) });
    // In a cluster the device's actors follow its connection (docs/cluster.md): this node takes them over first.
    await p.host.takeOver(verdict.deviceId);
    await p.live.sweepMoved(verdict.deviceId, [p.sdplay]);
    const login: Login = {
      deviceId: verdict.deviceId,
      macId: verdict.macId,
      reconnect: q.value.reconnect === 1,
      hardwareModel: q.value.hardware_model,
      firmwareModel: q.value.firmware_model,
      ...(q.value.sdk ? { sdk: q.value.sdk } : {}),
      ...(ip ? { ip } : {}),
    };
    const data: SocketData<VdState> = { handler, state: { login } };
    if (!c.env.upgrade(c.req.raw, { data })) return info(400, 'WebSocket upgrade failed');
    return new Response(null);
  });
}

function vdSocketHandler(p: VdRouteDeps): SocketHandler<VdState> {
  return {
    open(ws: VdWs) {
      const l = ws.data.state.login;
      const conn = new VdConnection(randomUUID(), l.deviceId, l.macId, ws, l.ip);
      ws.data.state.conn = conn;
      p.vd.attach(conn);
      p.rateLog.info(l.deviceId, { device: l.deviceId, conn: conn.connId, ip: l.ip, reconnect: l.reconnect }, 'vd connected');
      p.host.send(puActorId(l.deviceId), {
        type: 'vd.connected',
        connId: conn.connId,
        reconnect: l.reconnect,
        hardwareModel: l.hardwareModel,
        firmwareModel: l.firmwareModel,
        ...(l.sdk ? { sdk: l.sdk } : {}),
        ...(l.ip ? { ip: l.ip } : {}),
      });
    },
    message(ws: VdWs, data) {
      const conn = ws.data.state.conn;
      if (conn) onFrame(p, conn, data);
    },
    close(ws: VdWs, code, reason) {
      const conn = ws.data.state.conn;
      if (!conn) return;
      const current = p.vd.detach(conn, `connection closed (${code})`);
      p.rateLog.info(conn.deviceId, { device: conn.deviceId, conn: conn.connId, code, reason, current }, 'vd disconnected');
      // Soon rather than now: thousands of sockets can close in one turn of the event loop, and
      // the event names its connection, so a newer login's events may be applied first.
      p.host.sendSoon(puActorId(conn.deviceId), { type: 'vd.disconnected', connId: conn.connId, code, reason: reason || 'closed' });
    },
  };
}

/** One frame from a device. */
function onFrame(p: VdRouteDeps, conn: VdConnection, data: string | Buffer): void {
  if (conn.closing) return;
  const f = parseVdFrame(typeof data === 'string' ? data : new Uint8Array(data));
  if (f.kind === 'response' || f.kind === 'error') {
    const answered = conn.settle(f.seq, f.kind === 'response' ? { ok: true, resp: f.resp } : { ok: false, kind: 'err', code: f.err.code, msg: f.err.msg });
    // An answer the platform asked for costs the device nothing; one to nothing counts like any frame.
    if (answered || !spend(p, conn, undefined)) return;
    p.rateLog.warn(conn.deviceId, { device: conn.deviceId, seq: f.seq }, 'vd answer to no pending request (late, unknown or duplicate): dropped');
    return;
  }
  // Every frame with a seq gets one answer, in order (9.3.2.1.1): past the bound of waiting answers, none is served.
  const answerable = f.kind === 'request' || (f.kind === 'invalid' && f.seq !== undefined);
  if (answerable && !conn.replies.hasRoom) return closeForPolicy(p, conn, `more than ${VD_REPLIES_PENDING_MAX} answers waiting`);
  if (!spend(p, conn, f.kind === 'event' ? undefined : f.seq)) return;
  if (f.kind === 'invalid') return garbage(p, conn, f.reason, f.seq);
  conn.garbage = 0;
  const name = f.kind === 'request' ? f.req : f.event;
  const kind = f.kind === 'request' ? 'rpc' : 'event';
  const seq = f.kind === 'request' ? f.seq : 0;
  const reply = (text: string) => {
    if (f.kind === 'request') conn.replies.send(text);
  };
  if (!isVdName(name) || !acceptsVd(name, 'pu', kind)) {
    p.rateLog.warn(conn.deviceId, { device: conn.deviceId, name: name.slice(0, LOGGED_NAME_MAX_CHARS), kind }, 'vd message not accepted from a PU');
    return reply(
      vdError(
        seq,
        VD_ERR.UNSUPPORTED_METHOD,
        `${JSON.stringify(name.slice(0, LOGGED_NAME_MAX_CHARS))} is not a PU → platform ${kind === 'rpc' ? 'RPC' : 'event'}`,
      ),
    );
  }
  const v = validateVdParams(name, f.params);
  if (!v.ok) {
    p.rateLog.warn(conn.deviceId, { device: conn.deviceId, name, err: v.error }, 'vd message with bad params');
    return reply(vdError(seq, ERR_BAD_INPUT, v.error));
  }
  const answer = (resp: unknown) => vdResponse(seq, (resp ?? {}) as object);
  const refusal = (err: unknown) => {
    const code = err instanceof InboundError ? err.code : VD_ERR.SERVER_ERROR;
    if (err instanceof InboundError) p.rateLog.warn(conn.deviceId, { device: conn.deviceId, name, code, err: err.message }, 'vd message refused');
    else p.rateLog.error(conn.deviceId, { device: conn.deviceId, name, err: err instanceof Error ? err.stack : String(err) }, 'vd handler failed');
    // Only a refusal's own words reach the device: never an SQL statement, a stack or a file path.
    return vdError(seq, code, err instanceof InboundError ? err.message : 'internal error');
  };
  try {
    const out = p.inbound(name as PuMessageName, conn, v.value);
    if (!(out instanceof Promise)) return reply(answer(out));
    if (f.kind === 'event') return void out.catch(refusal);
    // Its place in the order is taken now; later answers that are ready wait behind it.
    const slot = conn.replies.reserve();
    out.then(
      (resp) => conn.replies.fill(slot, answer(resp)),
      (err) => conn.replies.fill(slot, refusal(err)),
    );
  } catch (err) {
    reply(refusal(err));
  }
}

/**
 * Charge a frame to the device's message budget (services/vd/vd-budget.ts). Over budget: a request gets `err`
 * ERR_OVER_BUDGET, the frame is dropped, and a device that keeps going is closed with a policy code.
 */
function spend(p: VdRouteDeps, conn: VdConnection, seq: number | undefined): boolean {
  if (conn.budget.take()) {
    conn.overruns = 0;
    return true;
  }
  conn.overruns++;
  const { ratePerS, burst } = conn.budget.budget;
  p.rateLog.warn(conn.deviceId, { device: conn.deviceId, overruns: conn.overruns }, 'vd frame over the message budget: refused');
  if (seq !== undefined) conn.replies.send(vdError(seq, ERR_OVER_BUDGET, `over the message budget of ${ratePerS}/s (burst ${burst}): slow down`));
  if (conn.overruns >= VD_OVERRUNS_TO_CLOSE) closeForPolicy(p, conn, 'message budget exceeded');
  return false;
}

function garbage(p: VdRouteDeps, conn: VdConnection, reason: string, seq: number | undefined): void {
  conn.garbage++;
  p.rateLog.warn(conn.deviceId, { device: conn.deviceId, reason, seq, inARow: conn.garbage }, 'malformed vd frame');
  if (seq !== undefined) conn.replies.send(vdError(seq, ERR_BAD_INPUT, reason));
  if (conn.garbage >= VD_GARBAGE_LIMIT) closeForPolicy(p, conn, 'too many malformed frames');
}

function closeForPolicy(p: VdRouteDeps, conn: VdConnection, reason: string): void {
  conn.closing = true;
  p.log.warn({ device: conn.deviceId, conn: conn.connId, reason }, 'closing a vd connection (policy)');
  conn.socket.close(CLOSE_POLICY, reason);
}
