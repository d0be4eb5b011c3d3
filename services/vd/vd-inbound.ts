/**
 * What the platform does with each PU → platform message of Table 9-4 (a table, not a switch):
 * turn it into an event of the device's pu actor, store what must be stored, and answer RPCs.
 */
import { eq, and } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { deviceLogs } from '../../db/schema.ts';
import { puActorId } from '../../actors/machines/pu.machine.ts';
import { normalizeDeviceIdentity } from '../../protocol/identity.ts';
import type { vd } from '../../protocol/vd.ts';
import type { AlarmNotifyParams, BatteryChangeParams, BindParams, GetServerInfoParams, KeepaliveParams, LogDoneParams } from '../../protocol/index.ts';
import type { Db } from '../../db/client.ts';
import { batchedWrite, perDatabase } from '../../db/batched.ts';
import type { Config } from '../../lib/config.ts';
import type { ActorHost } from '../../actors/host/host.ts';
import type { VdConnection, VdConnections } from './vd-connections.ts';
import type { Uploads } from '../uploads/uploads.ts';
import type { BindCodes } from '../devices/bind.ts';
import { PICTURE_MAX_BYTES } from '../uploads/uploads.ts';
import { ERR_OVER_BUDGET, VD_ALARM_BUDGET } from './vd-budget.ts';
import { isDatabaseUnavailable } from '../../db/errors.ts';

/** Names of the messages a PU sends (Table 9-4, NOTES 5). */
export type PuMessageName = { [N in keyof typeof vd]: (typeof vd)[N]['from'] extends 'pu' ? N : never }[keyof typeof vd];

/** A refusal of a well-formed message, answered with `err` (RPC) or logged (event). */
export class InboundError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Vd error code for a request the platform refuses as bad input (Table 9-1: 400–499). */
export const ERR_BAD_INPUT = 400;
/** Vd error code for a request the platform cannot serve now, its database being unavailable (Table 9-1: 500–599; 503 as in HTTP). */
export const ERR_UNAVAILABLE = 503;
/** The `msg` of that refusal: the device may retry; never the driver's words (they may carry SQL). */
export const UNAVAILABLE_MSG = 'the platform is temporarily unavailable; try again later';

/** What the handlers of PU messages use. */
export interface InboundDeps {
  db: Db;
  host: Pick<ActorHost, 'send'>;
  cfg: Pick<Config, 'hbIntervalS'>;
  vd: Pick<VdConnections, 'budgets'>;
  uploads: Pick<Uploads, 'grant'>;
  bind: Pick<BindCodes, 'redeem'>;
  /** The hibernation server GetServerInfo announces (I.2.2): its `IP:port`, and the device's `hb_token`. */
  hibernation?: { address(): string; token(deviceId: string): string };
}

type Handler<P> = (p: InboundDeps, conn: VdConnection, params: P) => unknown;

/** NOTES "Be liberal": a missing mac_id is the logged-in device's; a present one must match it. */
function checkMac(conn: VdConnection, macId: string | undefined): void {
  if (macId !== undefined && normalizeDeviceIdentity(macId) !== conn.macId) {
    throw new InboundError(ERR_BAD_INPUT, 'params.mac_id: does not match the logged-in device');
  }
}

/** AlarmNotify rows, $1 a JSON array of them (a constant text, prepared, batched: alarms come by the hundred a second from a fleet). */
const ALARMS_SQL = `INSERT INTO alarms (id, device_id, channel, type, state, "desc", device_timestamp)
  SELECT t.id, t.device_id, t.channel, t.type, t.state, t."desc", t.device_timestamp
  FROM jsonb_to_recordset($1::text::jsonb) AS t(id text, device_id text, channel int, type int, state text, "desc" text, device_timestamp bigint)`;

/** An alarm as ALARMS_SQL's input row. */
interface AlarmRow {
  id: string;
  device_id: string;
  channel: number;
  type: number;
  state: string;
  desc: string;
  device_timestamp: number;
}

/** Per database, its alarm writer: the alarms of a turn of the event loop share one statement (db/batched.ts). */
const alarmWriter = perDatabase((db: Pick<Db, 'prepared'>) => batchedWrite<AlarmRow>(db, ALARMS_SQL));

/** Handlers of PU → platform messages; an RPC handler's return value is its `resp`. */
const HANDLERS = {
  Keepalive: ((p, conn, params) => {
    checkMac(conn, params.mac_id);
    const channels = params.channels.map((c) => ({
      channel: c.channel,
      state: c.state,
      alarm: c.alarm ?? 0,
      ...(c.stream_id ? { stream_id: c.stream_id } : {}),
      ...(c.record_session ? { record_session: c.record_session } : {}),
    }));
    p.host.send(puActorId(conn.deviceId), { type: 'vd.keepalive', connId: conn.connId, state: params.state, channels });
    return {};
  }) as Handler<KeepaliveParams>,

  GetServerInfo: ((p, conn, params) => {
    checkMac(conn, params?.mac_id);
    const hbIntervalS = p.cfg.hbIntervalS;
    p.host.send(puActorId(conn.deviceId), { type: 'vd.serverInfo', hbIntervalS, ...(params?.state !== undefined ? { state: params.state } : {}) });
    const hib = p.hibernation;
    return hib ? { hb_interval: hbIntervalS, hibernation: hib.address(), hb_token: hib.token(conn.deviceId) } : { hb_interval: hbIntervalS };
  }) as Handler<GetServerInfoParams>,

  AlarmNotify: (async (p, conn, params) => {
    // Each alarm costs rows (the alarm, a history row, a picture grant): a device's are bounded by its budget.
    if (!p.vd.budgets.alarms.take(conn.deviceId)) {
      throw new InboundError(ERR_OVER_BUDGET, `alarm not recorded: over the alarm budget of ${VD_ALARM_BUDGET.ratePerS}/s (burst ${VD_ALARM_BUDGET.burst})`);
    }
    const id = randomUUID();
    // A picture is wanted when an alarm begins or pulses, not when it ends (I.2.16), and while the device's picture
    // budget lasts (the alarm itself is recorded either way).
    const picture = params.state !== 'end' && p.vd.budgets.pictures.take(conn.deviceId);
    // The alarm's row and its picture's grant are independent rows (the grant names the alarm, no key binds them):
    // written at once, the answer waits for one commit, not two in a row (a keepalive behind it waits as long: 9.3.2.1.1).
    const [, url] = await Promise.all([
      alarmWriter(p.db)({
        id,
        device_id: conn.deviceId,
        channel: params.channel,
        type: params.type,
        state: params.state,
        desc: params.desc,
        device_timestamp: params.timestamp,
      }),
      picture ? p.uploads.grant('alarm', conn.deviceId, id, PICTURE_MAX_BYTES) : undefined,
    ]);
    p.host.send(puActorId(conn.deviceId), {
      type: 'vd.alarm',
      alarmId: id,
      channel: params.channel,
      alarmType: params.type,
      state: params.state,
      timestamp: params.timestamp,
    });
    return url ? { pic_upload_url: url } : {};
  }) as Handler<AlarmNotifyParams>,

  Bind: (async (p, conn, params) => {
    checkMac(conn, params.mac_id);
    if (!p.vd.budgets.binds.take(conn.deviceId)) throw new InboundError(ERR_OVER_BUDGET, 'Bind ignored: too many attempts; try again in a minute');
    await p.bind.redeem(conn.deviceId, params.bind_id);
  }) as Handler<BindParams>,

  BatteryChange: ((p, conn, params) => {
    p.host.send(puActorId(conn.deviceId), { type: 'vd.battery', battery: params.battery });
  }) as Handler<BatteryChangeParams>,

  LogDone: (async (p, conn, params) => {
    checkMac(conn, params.mac_id);
    await p.db.orm
      .update(deviceLogs)
      .set({ status: params.status, size: params.size, doneAt: new Date() })
      .where(and(eq(deviceLogs.deviceId, conn.deviceId), eq(deviceLogs.transId, params.trans_id)));
    p.host.send(puActorId(conn.deviceId), { type: 'vd.logDone', transId: params.trans_id, status: params.status, size: params.size });
  }) as Handler<LogDoneParams>,
} satisfies Record<PuMessageName, Handler<never>>;

/** A handler whose failures for want of the database (AlarmNotify, Bind, LogDone store rows) become a 5xx `err`; the socket stays open. */
function unavailableAsRefusal<P>(handle: Handler<P>): Handler<P> {
  const refusal = (err: unknown) => (isDatabaseUnavailable(err) ? new InboundError(ERR_UNAVAILABLE, UNAVAILABLE_MSG) : err);
  return (p, conn, params) => {
    let out: unknown;
    try {
      out = handle(p, conn, params);
    } catch (err) {
      throw refusal(err);
    }
    return out instanceof Promise ? out.catch((err: unknown) => Promise.reject(refusal(err))) : out;
  };
}

/** The handlers of PU → platform messages, as the Vd route calls them. */
export const INBOUND = Object.fromEntries(
  Object.entries(HANDLERS).map(([name, handle]) => [name, unavailableAsRefusal(handle as Handler<unknown>)]),
) as typeof HANDLERS;

/** Handle one validated PU → platform message; an RPC's answer is what it returns (or resolves to). */
export type Inbound = (name: PuMessageName, conn: VdConnection, params: unknown) => unknown;

/** The handlers bound to what they use: what the Vd route calls. */
export function bindInbound(deps: InboundDeps): Inbound {
  return (name, conn, params) => (INBOUND[name] as Handler<unknown>)(deps, conn, params);
}
