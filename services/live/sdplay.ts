/**
 * Playing a camera's own SD-card recordings (H.627.2 I.2.23–I.2.25, docs/sd-playback.md) over the
 * live path: the sdplay actor decides; this service does its I/O. PlayVideo carries an SRT publish
 * url of the MDU, as PushLive does; the one viewer (who asked) gets an SRT pull URL and a WSS URL,
 * each with its own single-use token, as a live viewer does. Secrets live only here, in memory.
 */
import { eq, sql } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import { devices } from '../../db/schema.ts';
import { puActorId, STREAM_ACTOR_PREFIX, streamActorId, streamIdOf } from '../../actors/machines/ids.ts';
import { VIEWER_CONNECT_TIMEOUT_MS } from '../../actors/machines/stream.machine.ts';
import type { SdPlayContext, SdPlayOp, SdPlayReport } from '../../actors/machines/sdplay.types.ts';
import { QueryVideoStatusResp } from '../../protocol/vd-media.ts';
import { formatZodError } from '../../protocol/errors.ts';
import type { SdPlayEffectCall, SdPlayEffectHandlers } from '../../actors/machines/sdplay.effects.ts';
import type { ActorHost } from '../../actors/host/host.ts';
import type { Db } from '../../db/client.ts';
import type { Config } from '../../lib/config.ts';
import type { VdConnections } from '../vd/vd-connections.ts';
import type { Principal } from '../users/principal.ts';
import { DomainError } from '../errors.ts';
import { randomToken } from '../../lib/secrets.ts';
import type { LiveService } from './live.ts';
import { ownerOf, passphraseOf, STREAM_ID_BYTES } from './live.ts';
import { admitPublisher, feedSocket, type LiveSocket, srtUrl, STREAM_KEY_BYTES } from './mdu-access.ts';

/** The machine type of a playback actor. */
export const SDPLAY_TYPE = 'sdplay';

/** What the viewer is handed. */
export interface SdPlayTicket {
  play_id: string;
  srt_url: string;
  ws_url: string;
  expires_at: string;
}

/** A playback as the API shows it; `status`, `pos` and `speed` are the camera's answer when it gave one. */
export interface SdPlayView {
  play_id: string;
  device_id: string;
  channel: number;
  state: string;
  reason: string;
  from: number;
  to: number;
  /** Where the viewer asked to be (the range's start, then each seek). */
  asked_pos: number;
  speed: number;
  viewer: string;
  status?: string;
  pos?: number;
  failure?: { reason: string; code?: number };
  /** Why the camera's status is missing: QueryVideoStatus failed or its answer was refused. */
  status_error?: string;
}

/** The viewer's grant: its tokens, node-local. */
export interface SdGrant {
  playId: string;
  owner: string;
  srtToken: string;
  wsToken: string;
  expiresAt: number;
}

/** What the sd-play service uses. */
export interface SdPlayDeps {
  db: Db;
  host: Pick<ActorHost, 'dispatch' | 'get' | 'send' | 'peek'>;
  cfg: Pick<Config, 'liveViewersPerUser' | 'wakeTimeoutMs'>;
  vd: Pick<VdConnections, 'request' | 'event'>;
  live: Pick<LiveService, 'mdu' | 'srtPlace' | 'evictors'>;
  baseUrl(): string;
}

/** Runs playbacks' I/O. */
export class SdPlayService {
  private grants = new Map<string, SdGrant>(); // playId → grant
  private byToken = new Map<string, SdGrant>();
  private feeds = new Map<string, () => void>(); // playId → stop the WSS feed
  private queries = new Map<string, Promise<SdPlayReport | { error: string }>>(); // playId → its QueryVideoStatus in flight

  constructor(private p: SdPlayDeps) {
    p.live.evictors.push((deviceId, userIds) => this.evictUsers(deviceId, userIds));
  }

  /** Follow SRT viewers of playbacks at the MDU (the live service's MDU, started before). */
  start(): void {
    this.p.live.mdu.on('viewer.join', (e) => {
      const g = e.kind === 'srt' && e.token ? this.byToken.get(e.token) : undefined;
      if (g) this.p.host.send(streamActorId(g.playId), { type: 'viewer.connected', kind: 'srt' });
    });
    this.p.live.mdu.on('viewer.leave', (e) => {
      const g = e.kind === 'srt' && e.token ? this.byToken.get(e.token) : undefined;
      if (g) this.leave(g, `SRT viewer left (${e.reason})`);
    });
  }

  /** Playbacks this node's previous runs owned cannot resume (their grants are gone): told so, they fail and stop the camera. */
  async sweepStale(nodeId: string): Promise<void> {
    const stale = await this.p.db.rows<{ id: string }>(sql`SELECT id FROM actors WHERE type = ${SDPLAY_TYPE} AND status = 'active'
      AND (owner_node IS NULL OR owner_node = ${nodeId})`);
    for (const s of stale) this.p.host.send(s.id, { type: 'platform.restarted' });
  }

  /** Whether this node runs playback actor `actorId` (its grants are in this node's MDU): services/live/moved.ts. */
  ranHere(actorId: string): boolean {
    return actorId.startsWith(STREAM_ACTOR_PREFIX) && this.grants.has(streamIdOf(actorId));
  }

  /** A viewer asks to play a channel's recordings from `from` to `to` (s since the epoch): the pu opens the playback. */
  async play(who: Principal, deviceId: string, channel: number, from: number, to: number): Promise<SdPlayTicket> {
    const [dev] = await this.p.db.orm.select({ channels: devices.channels }).from(devices).where(eq(devices.id, deviceId));
    if (!dev || !(dev.channels as number[]).includes(channel)) throw new DomainError('not-found', `device ${deviceId} has no channel ${channel}`, 'ch');
    const cap = this.p.cfg.liveViewersPerUser;
    if ([...this.grants.values()].filter((x) => x.owner === ownerOf(who)).length >= cap)
      throw new DomainError('rate-limited', `at most ${cap} SD-card playbacks per user at once: stop one first (DELETE …/sdplay/:sid)`);
    const playId = randomBytes(STREAM_ID_BYTES).toString('hex');
    const g: SdGrant = { playId, owner: ownerOf(who), srtToken: randomToken(), wsToken: randomToken(), expiresAt: Date.now() + VIEWER_CONNECT_TIMEOUT_MS };
    const passphrase = passphraseOf();
    await this.p.live.mdu.allowViewer({ streamId: playId, token: g.srtToken, passphrase, pbkeylen: STREAM_KEY_BYTES, expiresAt: g.expiresAt });
    this.grants.set(playId, g);
    this.byToken.set(g.srtToken, g);
    this.byToken.set(g.wsToken, g);
    const r = await this.p.host
      .dispatch(puActorId(deviceId), { type: 'sd.play', playId, by: g.owner, channel, from, to, wakeTimeoutMs: this.p.cfg.wakeTimeoutMs })
      .catch((err: unknown) => {
        this.forget(g);
        throw err;
      });
    if (!r.accepted) {
      this.forget(g);
      throw new DomainError('unavailable', `device ${deviceId} is ${r.stateKey}`);
    }
    return {
      play_id: playId,
      srt_url: srtUrl(this.p.live.srtPlace(), playId, 'request', g.srtToken, passphrase),
      ws_url: `${this.p.baseUrl().replace(/^https/, 'wss')}/media/sd/${playId}?token=${g.wsToken}`,
      expires_at: new Date(g.expiresAt).toISOString(),
    };
  }

  /** The caller's playback: pause, resume, seek, speed or stop (a control the playback's state refuses is a conflict). */
  async control(who: Principal, deviceId: string, channel: number, playId: string, ctrl: { op: SdPlayOp; pos?: number; speed?: number }): Promise<SdPlayView> {
    const c = await this.owned(who, deviceId, channel, playId);
    if (ctrl.op === 'seek' && ctrl.pos !== undefined && (ctrl.pos < c.from || ctrl.pos >= c.to))
      throw new DomainError('invalid', `pos must be within the range played, ${c.from} to ${c.to}`, 'pos');
    const r = await this.p.host.dispatch(streamActorId(playId), { type: 'sd.ctrl', ...ctrl });
    if (!r.accepted) throw new DomainError('conflict', `cannot ${ctrl.op} a playback that is ${r.stateKey}`);
    return viewOf(r.context as unknown as SdPlayContext, r.stateKey);
  }

  /** The caller's playback, with the camera's answer to QueryVideoStatus while it runs (the report goes to the actor too). */
  async status(who: Principal, deviceId: string, channel: number, playId: string): Promise<SdPlayView> {
    const c = await this.owned(who, deviceId, channel, playId);
    const v = await this.p.host.get(streamActorId(playId));
    const state = v?.stateKey ?? 'unknown';
    if (v?.status !== 'active') return viewOf(c, state);
    const q = await this.query(deviceId, channel, playId);
    return 'error' in q ? { ...viewOf(c, state), status_error: q.error } : viewOf({ ...c, report: q }, state);
  }

  /**
   * QueryVideoStatus for a playback, its answer checked against the catalog: one request in flight per
   * playback, shared by the readers meanwhile (a bound on what polling costs the camera).
   */
  private query(deviceId: string, channel: number, playId: string): Promise<SdPlayReport | { error: string }> {
    const running = this.queries.get(playId);
    if (running) return running;
    const q = this.p.vd
      .request(deviceId, 'QueryVideoStatus', { channel })
      .then((a) => {
        if (!a.ok) return { error: `QueryVideoStatus failed: ${a.msg}` };
        const parsed = QueryVideoStatusResp.safeParse(a.resp);
        if (!parsed.success) return { error: `QueryVideoStatus answer refused: ${formatZodError(parsed.error)}` };
        const { status, pos, speed } = parsed.data;
        const report: SdPlayReport = { status, ...(pos !== undefined ? { pos } : {}), ...(speed !== undefined ? { speed } : {}), at: Date.now() };
        this.p.host.send(streamActorId(playId), { type: 'sd.report', report });
        return report;
      })
      .finally(() => this.queries.delete(playId));
    this.queries.set(playId, q);
    return q;
  }

  /** A WSS viewer presents its token: the grant, if valid (the token is then used up). */
  takeWsToken(playId: string, token: string): SdGrant | undefined {
    const g = this.byToken.get(token);
    if (!g || g.wsToken !== token || g.playId !== playId || g.expiresAt < Date.now() || this.feeds.has(playId)) return undefined;
    this.byToken.delete(token);
    return g;
  }

  /** Feed a WSS viewer from the MDU. */
  attachWs(g: SdGrant, ws: LiveSocket): void {
    this.feeds.set(g.playId, feedSocket(this.p.live.mdu, g.playId, ws, 'playback'));
    this.p.live.mdu.revoke(g.playId, g.srtToken).catch(() => {}); // one connection per viewer
    this.p.host.send(streamActorId(g.playId), { type: 'viewer.connected', kind: 'ws' });
  }

  /** A WSS viewer's socket closed. */
  detachWs(g: SdGrant, reason: string): void {
    this.leave(g, reason);
  }

  /** The sdplay machine's effects. */
  effects(): SdPlayEffectHandlers {
    return {
      'sdplay.push': (c) => this.sendPlay(c),
      'sdplay.ctrl': (c) => this.sendCtrl(c),
      'sdplay.close': (c) => this.close(c),
    };
  }

  private async sendPlay(c: SdPlayEffectCall<'sdplay.push'>): Promise<void> {
    const { playId, deviceId, channel, from, to } = c.params;
    const url = await admitPublisher(this.p.live.mdu, this.p.live.srtPlace(), playId, passphraseOf());
    // PlayVideo is an event (I.2.23): never answered; "sent" is all the platform learns.
    const sent = this.p.vd.event(deviceId, 'PlayVideo', { channel, url, stream_id: playId, start_ts: from, end_ts: to });
    this.p.host.send(c.actorId, sent ? { type: 'play.sent', ok: true } : { type: 'play.sent', ok: false, msg: 'the device is not connected' });
  }

  private async sendCtrl(c: SdPlayEffectCall<'sdplay.ctrl'>): Promise<void> {
    const { playId, deviceId, channel, op, pos, speed } = c.params;
    const sent = this.p.vd.event(deviceId, 'CtrlVideo', {
      channel,
      op,
      stream_id: playId,
      ...(pos !== undefined ? { pos } : {}),
      ...(speed !== undefined ? { speed } : {}),
    });
    this.p.host.send(c.actorId, sent ? { type: 'ctrl.sent', ok: true } : { type: 'ctrl.sent', ok: false, msg: 'the device is not connected' });
  }

  private async close(c: SdPlayEffectCall<'sdplay.close'>): Promise<void> {
    const g = this.grants.get(c.params.playId);
    if (g) this.forget(g);
    await this.p.live.mdu.closeStream(c.params.playId, c.params.reason);
  }

  private async owned(who: Principal, deviceId: string, channel: number, playId: string): Promise<SdPlayContext> {
    const v = await this.p.host.get(streamActorId(playId));
    const c = v?.context as SdPlayContext | undefined;
    if (!v || v.type !== SDPLAY_TYPE || !c || c.deviceId !== deviceId || c.channel !== channel)
      throw new DomainError('not-found', `no playback ${playId} on this channel`, 'sid');
    if (c.by !== ownerOf(who) && who.role !== 'admin') throw new DomainError('not-found', `no playback ${playId} on this channel`, 'sid');
    return c;
  }

  /** The playbacks these users hold on a device's channels stop at once (they lost the camera: LiveService.evictUsers). */
  evictUsers(deviceId: string, userIds: readonly string[]): void {
    const owners = new Set(userIds.map((userId) => ownerOf({ kind: 'user', role: 'user', userId, username: '' })));
    for (const g of [...this.grants.values()]) {
      const c = this.p.host.peek(streamActorId(g.playId))?.context as SdPlayContext | undefined;
      if (owners.has(g.owner) && c?.deviceId === deviceId) this.leave(g, 'no longer allowed to watch this camera');
    }
  }

  private leave(g: SdGrant, reason: string): void {
    if (!this.grants.has(g.playId)) return;
    this.forget(g);
    this.p.host.send(streamActorId(g.playId), { type: 'viewer.leave', reason });
  }

  private forget(g: SdGrant): void {
    this.grants.delete(g.playId);
    this.byToken.delete(g.srtToken);
    this.byToken.delete(g.wsToken);
    const stop = this.feeds.get(g.playId);
    this.feeds.delete(g.playId);
    stop?.();
    this.p.live.mdu.revoke(g.playId, g.srtToken).catch(() => {});
  }
}

/** A playback's context as the API shows it. */
function viewOf(c: SdPlayContext, state: string): SdPlayView {
  return {
    play_id: c.playId,
    device_id: c.deviceId,
    channel: c.channel,
    state,
    reason: c.reason,
    from: c.from,
    to: c.to,
    asked_pos: c.pos,
    speed: c.report?.speed ?? c.speed,
    viewer: c.viewer,
    ...(c.report ? { status: c.report.status, ...(c.report.pos !== undefined ? { pos: c.report.pos } : {}) } : {}),
    ...(c.failure ? { failure: c.failure } : {}),
  };
}
