/**
 * Recording (H.627.2 9.3.4, I.2.14, I.2.15, I.3; NOTES 14–16; docs/recording.md): record
 * sessions started and stopped through the API, the Vr channel of each session
 * (recording-vr.ts), the segment storage and its playback index, playback
 * (recording-playback.ts) and the effects of the recording and segment machines. What a PU's
 * transitions mean for its sessions is the pu machine's decision (actors/machines/pu.links.ts).
 */
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { recordingSessions } from '../../db/schema.ts';
import type { ActorHost, Transition } from '../../actors/host/host.ts';
import type { RecordingEffectCall, RecordingEffectHandlers } from '../../actors/machines/recording.effects.ts';
import type { SegmentEffectCall, SegmentEffectHandlers } from '../../actors/machines/segment.effects.ts';
import { recordingActorId, type RecordParams, type RecordingContext, type RecordingInput } from '../../actors/machines/recording.machine.ts';
import { CBK_URL_MAX_BYTES } from '../../protocol/constants.ts';
import { sameDevice } from '../../protocol/identity.ts';
import type { StartRecordingBody } from '../../protocol/recording-api.ts';
import { validateVdResp } from '../../protocol/vd.ts';
import { VR_PATH_PREFIX } from '../../protocol/vr.ts';
import type { StartRecordParams } from '../../protocol/vd-media.ts';
import type { SegmentStorage } from '../../media/cs/index.ts';
import { moduleLog, type Logger } from '../../lib/log.ts';
import type { Counter } from 'prom-client';
import type { Db } from '../../db/client.ts';
import type { Config } from '../../lib/config.ts';
import type { Metrics } from '../../lib/metrics.ts';
import type { VdConnections } from '../vd/vd-connections.ts';
import type { Sessions } from '../users/sessions.ts';
import type { DeviceAccess } from '../devices/access.ts';
import { DomainError, sqlErrorOf, UNIQUE_VIOLATION } from '../errors.ts';
import { randomToken } from '../../lib/secrets.ts';
import { loadRecordingConfig, openStorage, RECORD_DEFAULTS, type RecordingConfig } from './recording-config.ts';
import { SegmentIndex } from './recording-index.ts';
import { RetentionPolicies } from './recording-policy.ts';
import { Quotas } from './recording-quota.ts';
import { StoreRemovals } from './recording-removals.ts';
import { VrService } from './recording-vr.ts';
import { Playback } from './recording-playback.ts';
import { AlarmRecording } from './recording-alarms.ts';
import { Reconciler } from './recording-reconciler.ts';
import { openRowState, type SessionInfo, type SessionView, sortKeys, viewOf } from './recording-session.ts';

export type { SessionInfo, SessionView };

/** StartRecord `start_ts`: ≤ 0 tells the PU to use its own clock (NOTES 16; docs/recording.md). */
export const START_TS_DEVICE_CLOCK = 0;
/** Bytes of a record session id (base64url: 16 characters). */
export const SESSION_ID_BYTES = 12;
/** Bytes of a Vr channel id (base64url: 32 characters; unguessable, NOTES 16). */
export const CHANNEL_TOKEN_BYTES = 24;
/** How often cached sessions are forgotten. */
export const HOUSEKEEPING_MS = 60_000;
/** Cached sessions are re-read after this long (a deprovisioned device, a changed policy). */
export const SESSION_CACHE_MS = 5 * 60_000;

/** What recording uses (Vr and playback take their parts of it). */
export interface RecordingDeps {
  db: Db;
  host: Pick<ActorHost, 'create' | 'dispatch' | 'get' | 'load' | 'peek' | 'send' | 'subscribe'>;
  log: Logger;
  cfg: Pick<Config, 'dataDir'>;
  metrics: Pick<Metrics, 'client' | 'registry'>;
  vd: Pick<VdConnections, 'request'>;
  /** The platform key: signed segment URLs. */
  key: Buffer;
  /** Whether a playback URL's sign-in session still lives. */
  sessions: Pick<Sessions, 'isLive'>;
  /** Whether a playback URL's sign-in session still reaches the device (its share may have ended, or it unbound). */
  access: Pick<DeviceAccess, 'sessionReaches'>;
  /** Public base URL of the platform (known once the server listens). */
  baseUrl(): string;
  /** Base URL of a device's callbacks (cbk_url, segment uploads): https, or http for a device without https (services/devices/device-urls.ts). */
  deviceBaseUrl(deviceId: string, https?: boolean): Promise<string>;
}

/** Recording: sessions, Vr, storage, index and playback. */
export class RecordingService {
  readonly cfg: RecordingConfig;
  readonly storage: SegmentStorage;
  readonly index: SegmentIndex;
  /** Retention by age per device (recording-policy.ts); quotas by size per device and user (recording-quota.ts). */
  readonly policies: RetentionPolicies;
  readonly quotas: Quotas;
  /** Segments' bytes removed in batches (recording-removals.ts). */
  readonly removals: StoreRemovals;
  readonly vr: VrService;
  readonly playback: Playback;
  /** Alarms on the timeline, the alarm-recording setting, and the `recording.alarm` effect (recording-alarms.ts). */
  readonly alarms: AlarmRecording;
  /** The scheduled reconciliation of storage and index (recording-reconciler.ts). */
  readonly reconciler: Reconciler;
  readonly log: Logger;
  /** Prometheus counters: Vr answers by op and status, segment bytes stored. */
  readonly counters: { vr: Counter<'op' | 'status'>; bytes: Counter; removeRequests: Counter; removed: Counter };
  private byToken = new Map<string, SessionInfo>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private p: RecordingDeps,
    cfg: RecordingConfig = loadRecordingConfig(p.cfg.dataDir),
  ) {
    this.cfg = cfg;
    this.log = moduleLog('recording', p.log);
    const registers = [p.metrics.registry];
    this.counters = {
      vr: new p.metrics.client.Counter({
        name: 'h627_vr_requests_total',
        help: 'Vr requests answered, by op and HTTP status',
        labelNames: ['op', 'status'],
        registers,
      }),
      bytes: new p.metrics.client.Counter({ name: 'h627_cs_bytes_stored_total', help: 'Segment bytes stored in the CS', registers }),
      removeRequests: new p.metrics.client.Counter({ name: 'h627_cs_remove_requests_total', help: 'Batched removal requests sent to the CS', registers }),
      removed: new p.metrics.client.Counter({ name: 'h627_cs_objects_removed_total', help: 'Segment objects removed from the CS', registers }),
    };
    this.storage = openStorage(cfg);
    this.index = new SegmentIndex(p.db, this.log);
    this.removals = new StoreRemovals(this.storage, this.log, { requests: this.counters.removeRequests, objects: this.counters.removed });
    this.policies = new RetentionPolicies({ ...p, log: this.log, index: this.index }, cfg.retentionS, (deviceId, retentionMs) => {
      for (const s of this.byToken.values()) if (s.deviceId === deviceId) s.retentionMs = retentionMs;
    });
    this.quotas = new Quotas({ ...p, log: this.log }, cfg);
    this.vr = new VrService(p, this);
    this.playback = new Playback(p, this);
    this.alarms = new AlarmRecording(p, this);
    this.reconciler = new Reconciler({ storage: this.storage, host: p.host, index: this.index, db: p.db, log: this.log }, cfg.reconcile);
    p.host.subscribe((t) => this.onTransition(t), { unlogged: false });
  }

  /** The recording machine's effects, for the host's effects map. */
  static effects(p: { recording: RecordingService }): RecordingEffectHandlers {
    return {
      'recording.start': (call) => p.recording.sendStartRecord(call),
      'recording.stop': (call) => p.recording.sendStopRecord(call),
      'recording.closed': (call) => p.recording.closeSession(call),
      'recording.keepAwake': (call) => p.recording.sendKeepAwake(call),
    };
  }

  /** The segment machine's effect, for the host's effects map. */
  static segmentEffects(p: { recording: RecordingService }): SegmentEffectHandlers {
    return { 'segment.remove': (call) => p.recording.removeSegment(call) };
  }

  /** Start housekeeping (after the host has started). */
  start(): void {
    this.timer = setInterval(() => this.housekeeping(), HOUSEKEEPING_MS);
    void this.sweepQuotas();
    this.reconciler.start();
  }

  /** Stop housekeeping and write what the index still holds. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.reconciler.stop();
    await this.index.flush();
  }

  // ── Sessions (the API) ────────────────────────────────────────────────────────────────────────

  /** Start recording a channel: a new record session (its actor sends StartRecord), or the running one with the same parameters. */
  async startSession(
    device: { id: string; channels: unknown },
    channel: number,
    body: StartRecordingBody,
    by: string,
  ): Promise<{ created: boolean; session: SessionView }> {
    if (!(device.channels as number[]).includes(channel)) throw new DomainError('not-found', `device ${device.id} has no channel ${channel}`);
    const params: RecordParams = { ...RECORD_DEFAULTS, ...body };
    if (!params.prerecord_seconds) delete params.prerecord_seconds;
    const open = await this.openSession(device.id, channel);
    if (open) {
      const same = Object.keys(body).length === 0 || JSON.stringify(sortKeys(open.context.params)) === JSON.stringify(sortKeys(params));
      if (!same)
        throw new DomainError('conflict', `channel ${channel} is already recording (session ${open.context.sessionId}) with other parameters; stop it first`);
      // An alarm session asked for by someone records on until stopped (its machine drops its stop timer).
      if (open.context.alarm) {
        const r = await this.p.host.dispatch(open.id, { type: 'alarm.adopt', by });
        return { created: false, session: viewOf(open.id, r.stateKey, r.context as unknown as RecordingContext) };
      }
      return { created: false, session: viewOf(open.id, open.stateKey, open.context) };
    }
    return { created: true, session: await this.createSession(device.id, channel, params, by) };
  }

  /** A new record session of a channel with no open one: its row (the Vr channel id) and its recording actor, which sends StartRecord. */
  async createSession(deviceId: string, channel: number, params: RecordParams, by: string, alarm?: RecordingInput['alarm']): Promise<SessionView> {
    const sessionId = randomToken(SESSION_ID_BYTES);
    const token = randomToken(CHANNEL_TOKEN_BYTES);
    const id = recordingActorId(sessionId);
    const cbk = await this.cbkUrl(deviceId, token);
    if (Buffer.byteLength(cbk) > CBK_URL_MAX_BYTES)
      throw new DomainError(
        'unavailable',
        `the Vr URL would be ${Buffer.byteLength(cbk)} bytes, over the ${CBK_URL_MAX_BYTES} StartRecord allows (PUBLIC_HOST too long)`,
      );
    try {
      await this.p.db.orm.insert(recordingSessions).values({ id, token, sessionId, deviceId, channel });
    } catch (err) {
      if (sqlErrorOf(err).code === UNIQUE_VIOLATION) throw new DomainError('conflict', `channel ${channel} started recording meanwhile`);
      throw err;
    }
    const input: RecordingInput = { deviceId, channel, sessionId, params, createdAt: Date.now(), by, ...(alarm ? { alarm } : {}) };
    const r = await this.p.host.create('recording', id, input as unknown as Record<string, unknown>, { deviceId, fresh: true });
    this.log.info({ device: deviceId, channel, session: sessionId, by, alarm: alarm?.alarmId }, 'record session started');
    return viewOf(id, r.stateKey, r.context as unknown as RecordingContext);
  }

  /** Stop the channel's running session (StopRecord); its state goes stopping → stopped. */
  async stopSession(deviceId: string, channel: number, by: string): Promise<SessionView> {
    const open = await this.openSession(deviceId, channel);
    if (!open) throw new DomainError('not-found', `channel ${channel} of ${deviceId} is not recording`);
    const r = await this.p.host.dispatch(open.id, { type: 'record.stop', by });
    return viewOf(open.id, r.stateKey, r.context as unknown as RecordingContext);
  }

  /** The channel's running session, or its last one; undefined when it never recorded. */
  async currentSession(deviceId: string, channel: number): Promise<SessionView | undefined> {
    const t = recordingSessions;
    const [row] = await this.p.db.orm
      .select({ id: t.id })
      .from(t)
      .where(and(eq(t.deviceId, deviceId), eq(t.channel, channel)))
      .orderBy(sql`${t.closedAt} IS NULL DESC`, desc(t.createdAt))
      .limit(1);
    if (!row) return undefined;
    const v = await this.p.host.get(row.id);
    if (!v) return undefined;
    // Summed as float8: the reports of a long session can add up past an int4 (each is bounded, their sum is not).
    const [d] = await this.p.db.rows<{ segments: number; seconds: number; reports: number }>(sql`SELECT coalesce(sum(dropped_nb), 0)::float8 AS segments,
      coalesce(sum(dropped_time), 0)::float8 AS seconds, count(*)::int AS reports FROM recording_stats WHERE recording_id = ${row.id}`);
    return { ...viewOf(v.id, v.stateKey, v.context as unknown as RecordingContext), dropped: d ?? { segments: 0, seconds: 0, reports: 0 } };
  }

  /** The open (not stopped) session of a channel, closing a row whose actor has stopped already. */
  async openSession(deviceId: string, channel: number) {
    const t = recordingSessions;
    const rows = await this.p.db.orm
      // The row's age on the database's clock, which wrote its created_at (a node's clock may differ from it).
      .select({ id: t.id, createdAt: t.createdAt, dbNowMs: sql<number>`extract(epoch from now()) * 1000`.mapWith(Number) })
      .from(t)
      .where(and(eq(t.deviceId, deviceId), eq(t.channel, channel), isNull(t.closedAt)));
    for (const row of rows) {
      const v = await this.p.host.get(row.id);
      const state = openRowState(v, row.createdAt.getTime(), row.dbNowMs);
      if (v && state === 'open') return { id: v.id, stateKey: v.stateKey, context: v.context as unknown as RecordingContext };
      if (state === 'starting') continue;
      // The actor stopped, or never came, but its row was not closed (the process died in between).
      await this.p.db.orm.update(t).set({ closedAt: new Date() }).where(eq(t.id, row.id));
    }
    return undefined;
  }

  /** The Vr URL of a channel id (StartRecord `cbk_url`). */
  async cbkUrl(deviceId: string, token: string): Promise<string> {
    return `${await this.p.deviceBaseUrl(deviceId)}${VR_PATH_PREFIX}${token}`;
  }

  // ── Sessions by channel id (the Vr path) ──────────────────────────────────────────────────────

  /** The session a Vr channel id names, or undefined (cached). */
  async session(token: string): Promise<SessionInfo | undefined> {
    const cached = this.byToken.get(token);
    if (cached) return cached;
    const [row] = await this.p.db.rows<{ id: string; session_id: string; device_id: string; channel: number; mac_id: string; retention_s: number | null }>(sql`
      SELECT s.id, s.session_id, s.device_id, s.channel, d.mac_id, pol.retention_s
      FROM recording_sessions s JOIN devices d ON d.id = s.device_id LEFT JOIN recording_policies pol ON pol.device_id = s.device_id
      WHERE s.token = ${token}`);
    if (!row) return undefined;
    const v = await this.p.host.get(row.id);
    if (!v) return undefined;
    const ctx = v.context as unknown as RecordingContext;
    const info: SessionInfo = {
      recordingId: row.id,
      sessionId: row.session_id,
      token,
      deviceId: row.device_id,
      macId: row.mac_id,
      channel: row.channel,
      params: ctx.params,
      retentionMs: (row.retention_s ?? this.cfg.retentionS) * 1000,
      stoppedAt: v.status === 'done' ? (ctx.stoppedAt ?? v.updatedAt) : null,
      loadedAt: Date.now(),
    };
    this.byToken.set(token, info);
    return info;
  }

  /** Whether a `Mac-Identity` names the session's device (its MAC, or its device id: 9.2 allows either). */
  isDevice(s: SessionInfo, identity: string): boolean {
    return sameDevice(s.macId, identity) || identity.trim() === s.deviceId;
  }

  // ── Effects ───────────────────────────────────────────────────────────────────────────────────

  /** `recording.start`: StartRecord (I.2.14) with the session's Vr URL; the answer comes back as `record.result`. */
  async sendStartRecord(call: RecordingEffectCall<'recording.start'>): Promise<void> {
    const ctx = call.context;
    const { attempt } = call.params;
    const [row] = await this.p.db.orm.select({ token: recordingSessions.token }).from(recordingSessions).where(eq(recordingSessions.id, call.actorId));
    if (!row) {
      this.p.host.send(call.actorId, { type: 'record.result', op: 'start', attempt, ok: false, kind: 'err', code: 500, msg: 'the session has no Vr channel' });
      return;
    }
    const params: StartRecordParams = {
      session_id: ctx.sessionId,
      channel: ctx.channel,
      max_bitrate: ctx.params.max_bitrate,
      seg_duration: ctx.params.seg_duration,
      seg_max_size: ctx.params.seg_max_size,
      seg_max_count: ctx.params.seg_max_count,
      ...(ctx.params.prerecord_seconds ? { prerecord_seconds: ctx.params.prerecord_seconds } : {}),
      start_ts: START_TS_DEVICE_CLOCK,
      cbk_url: await this.cbkUrl(ctx.deviceId, row.token),
    };
    await this.rpc(call.actorId, ctx.deviceId, 'start', 'StartRecord', params, attempt);
  }

  /** `recording.keepAwake`: KeepAwaken (I.2.26) while a camera that may sleep records; a lost one goes again when next due. */
  sendKeepAwake(call: RecordingEffectCall<'recording.keepAwake'>): void {
    void this.p.vd.request(call.context.deviceId, 'KeepAwaken', { channel: call.context.channel, expired: call.params.expiredS });
  }

  /** `recording.stop`: StopRecord (I.2.15). */
  async sendStopRecord(call: RecordingEffectCall<'recording.stop'>): Promise<void> {
    const ctx = call.context;
    await this.rpc(call.actorId, ctx.deviceId, 'stop', 'StopRecord', { session_id: ctx.sessionId, channel: ctx.channel }, ctx.attempt);
  }

  private async rpc(
    actorId: string,
    deviceId: string,
    op: 'start' | 'stop',
    name: 'StartRecord' | 'StopRecord',
    params: unknown,
    attempt: number,
  ): Promise<void> {
    let a = await this.p.vd.request(deviceId, name, params);
    if (a.ok) {
      const checked = validateVdResp(name, a.resp);
      if (!checked.ok) a = { ok: false, kind: 'err', code: 502, msg: `invalid answer from the device: ${checked.error}` };
    }
    if (!a.ok)
      this.log.warn({ device: deviceId, actor: actorId, name, kind: a.kind, code: a.kind === 'err' ? a.code : undefined, msg: a.msg }, `${name} failed`);
    this.p.host.send(
      actorId,
      a.ok
        ? { type: 'record.result', op, attempt, ok: true }
        : { type: 'record.result', op, attempt, ok: false, kind: a.kind, ...(a.kind === 'err' ? { code: a.code } : {}), msg: a.msg },
    );
  }

  /** `recording.closed`: the session stopped; another may start on its channel (a row closed already stays as it is). */
  async closeSession(call: RecordingEffectCall<'recording.closed'>): Promise<void> {
    const t = recordingSessions;
    await this.p.db.orm
      .update(t)
      .set({ closedAt: new Date() })
      .where(and(eq(t.id, call.actorId), isNull(t.closedAt)));
  }

  /** `segment.remove`: delete the bytes and the index row, then tell the segment. */
  async removeSegment(call: SegmentEffectCall<'segment.remove'>): Promise<void> {
    await this.removals.remove(call.params.key, call.params.version);
    // Gone already when the removal began from `confirmed` (migrations/0013); kept for rows of older removals.
    await this.index.remove(call.actorId);
    this.p.host.send(call.actorId, { type: 'segment.removed' });
  }

  // ── The session cache follows the actors ──────────────────────────────────────────────────────

  /**
   * Node-local caches follow the actors: a deprovisioned device's Vr channel ids go, a stopped
   * session's time is noted. (What a PU's login, offline or Keepalive means for its sessions is the
   * pu machine's decision: actors/machines/pu.links.ts.)
   */
  private onTransition(t: Transition): void {
    if (!t.logged) return;
    this.quotas.onTransition(t);
    if (t.type === 'pu' && t.stateKey === 'deprovisioned') {
      const deviceId = String(t.context.deviceId);
      for (const [token, s] of this.byToken) if (s.deviceId === deviceId) this.byToken.delete(token);
    } else if (t.type === 'recording' && t.stateKey === 'stopped') {
      const stoppedAt = (t.context as unknown as RecordingContext).stoppedAt ?? t.at;
      for (const s of this.byToken.values()) if (s.recordingId === t.actorId) s.stoppedAt = stoppedAt;
    }
  }

  // ── Housekeeping ──────────────────────────────────────────────────────────────────────────────

  private sweepQuotas(): Promise<void> {
    return this.quotas.sweep().catch((err) => this.log.warn({ err: String(err) }, 'quota sweep failed'));
  }

  private housekeeping(): void {
    void this.sweepQuotas();
    const now = Date.now();
    for (const [token, s] of this.byToken) if (now - s.loadedAt > SESSION_CACHE_MS) this.byToken.delete(token);
  }
}
