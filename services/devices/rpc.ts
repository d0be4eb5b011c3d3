/**
 * Platform → PU messages (Table 9-4). A request from the API is validated against the catalog and
 * offered to the device's pu actor as `cmd.request`; only if the machine accepts it (the device is
 * online and connected, and the command fits its state) does the machine's `vd.send` effect send
 * it, with the connection's next seq, and the answer comes back to the actor as `cmd.result`.
 * Parameters wait here, in memory, keyed by request id: they never enter the event log (they can
 * hold URLs with tokens).
 */
import { randomUUID } from 'node:crypto';
import { deviceLogs, snapshots } from '../../db/schema.ts';
import { puActorId } from '../../actors/machines/pu.machine.ts';
import type { PuEffectCall } from '../../actors/machines/pu.effects.ts';
import { acceptsVd, isVdName, validateVdParams, validateVdResp, vd } from '../../protocol/vd.ts';
import type { z } from 'zod';
import { LogUploadAsyncCallParams, SnapshotCallParams } from '../../protocol/api.ts';
import { parseWith } from '../../protocol/errors.ts';
import type { Db } from '../../db/client.ts';
import type { LogLimiter } from '../../lib/log-limit.ts';
import type { ActorHost } from '../../actors/host/host.ts';
import { RPC_TIMEOUT_MS, type VdConnections } from '../vd/vd-connections.ts';
import type { Config } from '../../lib/config.ts';
import type { Uploads } from '../uploads/uploads.ts';
import { DomainError } from '../errors.ts';
import type { VdAnswer } from '../vd/vd-connections.ts';
import { LOG_MAX_BYTES, PICTURE_MAX_BYTES } from '../uploads/uploads.ts';
import { randomToken } from '../../lib/secrets.ts';

/** Answers the pu actor keeps (in context); the others are recorded only as ok / error code. */
export const ANSWERS_KEPT_BY_PU = new Set<string>(['GetCap', 'DevStatus', 'QueryUpgrade', 'GetDiskInfo']);
/** Messages that stream and recording actors drive; through the raw RPC API only for admins. */
export const MANAGED_MESSAGES = new Set<string>(['PushLive', 'StopLive', 'StartRecord', 'StopRecord']);

/** Random bytes of a command's request id. */
export const REQ_ID_BYTES = 12;

/** An API request to send a message. */
export interface RpcRequest {
  req?: string;
  event?: string;
  params?: unknown;
}

/** What the API answers. */
export interface RpcOutcome {
  answer: VdAnswer;
  /** Records the platform made for the request (a snapshot or log id). */
  extra: Record<string, unknown>;
}

/**
 * The longest an API call of an RPC takes, counted from its request: a sleeping camera's wake (WAKE_TIMEOUT_S), then
 * the RPC (RPC_TIMEOUT_S; once sent it gets what is left of this, at most RPC_TIMEOUT_S). The route lets the HTTP
 * request stay silent that long (routes/idle-timeout.ts), so the caller gets an answer, never a dropped connection.
 */
export function rpcCallDeadlineMs(wakeTimeoutMs: number): number {
  return wakeTimeoutMs + RPC_TIMEOUT_MS;
}

interface Outbox {
  name: string;
  params: unknown;
  /** When the caller's answer is due at the latest (epoch ms): rpcCallDeadlineMs after the request. */
  deadline: number;
  /** Fires at the deadline while the message is still held (the camera has not woken). */
  timer: ReturnType<typeof setTimeout>;
  /** The caller was answered already (its deadline passed while the message was held): it is never sent. */
  expired?: boolean;
  resolve: (a: VdAnswer) => void;
  reject: (err: DomainError) => void;
}

/** What the platform → PU messages use. */
export interface RpcDeps {
  db: Db;
  host: Pick<ActorHost, 'dispatch' | 'send'>;
  /** The log for lines outsiders can cause (a device's invalid answers). */
  rateLog: LogLimiter;
  uploads: Pick<Uploads, 'grant'>;
  vd: Pick<VdConnections, 'event' | 'request'>;
  cfg: Pick<Config, 'wakeTimeoutMs'>;
}

/** Sends platform → PU messages through the pu actor. */
export class RpcService {
  private outbox = new Map<string, Outbox>();

  constructor(private p: RpcDeps) {}

  /** The longest an API call of an RPC takes, ms (rpcCallDeadlineMs with this platform's WAKE_TIMEOUT_S). */
  callDeadlineMs(): number {
    return rpcCallDeadlineMs(this.p.cfg.wakeTimeoutMs);
  }

  /** Send a message on behalf of the API; resolves with the device's answer. */
  async call(deviceId: string, body: RpcRequest, by: { name: string; admin: boolean }): Promise<RpcOutcome> {
    const kind = body.req !== undefined ? 'rpc' : 'event';
    const name = (body.req ?? body.event)!;
    if (!acceptsVd(name, 'platform', kind)) {
      throw new DomainError('invalid', `${name} is not a platform → PU ${kind === 'rpc' ? 'RPC' : 'event'} of Table 9-4`, kind === 'rpc' ? 'req' : 'event');
    }
    if (MANAGED_MESSAGES.has(name) && !by.admin) {
      throw new DomainError('forbidden', `${name} is sent by the platform's stream and recording actors; use the live and recording API`);
    }
    const extra: Record<string, unknown> = {};
    // Everything the caller gave is checked before anything is stored or named after it (issue #19: a
    // trans_id once named a file); the upload URLs the platform fills in come after.
    const callSchema = CALL_PARAMS[name];
    const v = callSchema ? parseWith(callSchema, body.params ?? {}, 'params') : validateVdParams(name, body.params);
    if (!v.ok) throw new DomainError('invalid', v.error, 'params');
    const params = await this.prepare(deviceId, name, v.value, extra);
    const reqId = randomToken(REQ_ID_BYTES);
    const deadline = Date.now() + this.callDeadlineMs();
    const answer = new Promise<VdAnswer>((resolve, reject) => {
      const timer = setTimeout(() => this.expire(reqId), deadline - Date.now());
      this.outbox.set(reqId, { name, params, deadline, timer, resolve, reject });
    });
    answer.catch(() => {}); // awaited below; a dispatch that throws first must not leave its expiry unhandled
    const firmwareModel = name === 'UpgradeFirmware' ? (v.value as { firmware_model?: string }).firmware_model : undefined;
    const forget = () => {
      clearTimeout(this.outbox.get(reqId)?.timer);
      this.outbox.delete(reqId);
    };
    const r = await this.p.host
      .dispatch(puActorId(deviceId), {
        type: 'cmd.request',
        reqId,
        name,
        by: by.name,
        ...(firmwareModel ? { firmwareModel } : {}),
        wakeTimeoutMs: this.p.cfg.wakeTimeoutMs,
      })
      .catch((err: unknown) => {
        forget();
        throw err;
      });
    if (!r.accepted) {
      forget();
      throw new DomainError(
        'unavailable',
        `cannot send ${name}: the device is ${r.stateKey}${(r.context as { connected?: boolean }).connected === false ? ' and not connected' : ''}`,
      );
    }
    return { answer: await answer, extra };
  }

  /** The pu machine's `vd.send` effect: send the message, report the answer to the actor that asked. */
  async send(call: PuEffectCall<'vd.send'>): Promise<void> {
    const { reqId, name } = call.params;
    const { deviceId } = call.context;
    const ob = this.outbox.get(reqId);
    this.outbox.delete(reqId);
    clearTimeout(ob?.timer);
    // Held for an API command; given by the machine for one it decides itself (StopLive); none for QueryUpgrade.
    const params = ob?.params ?? call.params.params;
    const leftMs = ob ? Math.min(RPC_TIMEOUT_MS, ob.deadline - Date.now()) : RPC_TIMEOUT_MS;
    const unsent = call.params.refused ?? (ob?.expired || leftMs <= 0 ? `the API call's ${this.callDeadlineMs() / 1000} s had passed` : undefined);
    let answer: VdAnswer;
    if (unsent !== undefined) {
      // Not sent: the camera did not wake (the pu's reason), or the caller was answered already.
      answer = { ok: false, kind: 'offline', msg: `${name} not sent: ${unsent}` };
      if (ob && !ob.expired) ob.reject(new DomainError('unavailable', `${name} not sent: the camera ${unsent} (WAKE_TIMEOUT_S)`));
      this.p.host.send(call.actorId, { type: 'cmd.result', reqId, name, ok: false, msg: answer.msg });
      return;
    }
    if (isVdName(name) && vd[name].kind === 'event') {
      answer = this.p.vd.event(deviceId, name, params) ? { ok: true, resp: {} } : { ok: false, kind: 'offline', msg: 'the device is not connected' };
    } else {
      answer = await this.p.vd.request(deviceId, name, params, leftMs);
      if (answer.ok) {
        const checked = validateVdResp(name, answer.resp);
        if (checked.ok) answer = { ok: true, resp: checked.value };
        else {
          this.p.rateLog.warn(deviceId, { device: deviceId, name, err: checked.error }, 'device answered with an invalid response');
          answer = { ok: false, kind: 'err', code: 502, msg: `invalid answer from the device: ${checked.error}` };
        }
      }
    }
    const result = answer.ok
      ? { ok: true, ...(ANSWERS_KEPT_BY_PU.has(name) ? { resp: answer.resp as Record<string, unknown> } : {}) }
      : { ok: false, code: answer.kind === 'err' ? answer.code : undefined, msg: answer.msg };
    this.p.host.send(call.actorId, { type: 'cmd.result', reqId, name, ...result });
    ob?.resolve(answer);
  }

  /**
   * The caller's deadline passed while its message was still held (its camera is waking): it is answered now, 504
   * naming what timed out, and the message is never sent (its `vd.send` finds it expired).
   */
  private expire(reqId: string): void {
    const ob = this.outbox.get(reqId);
    if (!ob) return;
    ob.expired = true;
    const s = this.callDeadlineMs() / 1000;
    ob.reject(
      new DomainError(
        'timeout',
        `${ob.name} not sent within ${s} s of the request: the camera did not wake and answer in time (WAKE_TIMEOUT_S + RPC_TIMEOUT_S)`,
      ),
    );
  }

  /** Fill what the platform provides itself into validated params: upload URLs for Snapshot and LogUploadAsync. */
  private async prepare(deviceId: string, name: string, params: unknown, extra: Record<string, unknown>): Promise<unknown> {
    if (name === 'Snapshot') {
      const given = params as z.output<typeof SnapshotCallParams>;
      const channel = given.channel ?? DEFAULT_SNAPSHOT_CHANNEL;
      const id = randomUUID();
      await this.p.db.orm.insert(snapshots).values({ id, deviceId, channel });
      extra.snapshot_id = id;
      return { ...given, channel, url: await this.p.uploads.grant('snapshot', deviceId, id, PICTURE_MAX_BYTES) };
    }
    if (name === 'LogUploadAsync') {
      const given = params as z.output<typeof LogUploadAsyncCallParams>;
      const transId = given.trans_id ?? String(Date.now());
      await this.p.db.orm.insert(deviceLogs).values({ deviceId, transId, start: given.start, end: given.end }).onConflictDoNothing();
      extra.trans_id = transId;
      // On the wire as H.627.2 has it (an integer) when it is one exactly, else as OVC's string (NOTES 11): '0123'
      // stays text, so the device's LogDone names what was stored.
      const asInt = Number(transId);
      const wire = Number.isSafeInteger(asInt) && String(asInt) === transId ? asInt : transId;
      return { ...given, trans_id: wire, url: await this.p.uploads.grant('log', deviceId, transId, LOG_MAX_BYTES) };
    }
    return params;
  }
}

/** The channel of a Snapshot the caller did not name one for: a single camera's (NOTES 1). */
const DEFAULT_SNAPSHOT_CHANNEL = 0;

/** Messages whose params the caller gives without what the platform fills in (the upload URL): their API schemas. */
const CALL_PARAMS: Partial<Record<string, z.ZodType>> = { Snapshot: SnapshotCallParams, LogUploadAsync: LogUploadAsyncCallParams };
