/**
 * Live media (Vm, H.627.2 9.3.3): the MDU (SRT relay in media/mdu), the stream actors' effects
 * (PushLive, StopLive, closing a stream), and viewers. A viewer asks the API to watch a channel;
 * the platform starts the channel's stream if needed and hands out an SRT pull URL and a WSS URL,
 * each with its own single-use token; whichever connects first is the viewer's connection.
 * Secrets (publisher and viewer tokens, passphrases) live only here, in memory.
 */
import { eq, sql } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import { devices } from '../../db/schema.ts';
import { Mdu, type MduEvents } from '../../media/mdu/index.ts';
import { VIEWER_CONNECT_TIMEOUT_MS, streamActorId } from '../../actors/machines/stream.machine.ts';
import { puActorId } from '../../actors/machines/pu.machine.ts';
import type { StreamContext } from '../../actors/machines/stream.types.ts';
import type { ActorHost, Transition } from '../../actors/host/host.ts';
import type { StreamEffectCall, StreamEffectHandlers } from '../../actors/machines/stream.effects.ts';
import type { Principal } from '../users/principal.ts';
import type { Db } from '../../db/client.ts';
import type { Config } from '../../lib/config.ts';
import type { Logger } from '../../lib/log.ts';
import type { LogLimiter } from '../../lib/log-limit.ts';
import type { VdConnections } from '../vd/vd-connections.ts';
import { DomainError } from '../errors.ts';
import { randomToken } from '../../lib/secrets.ts';

/** PushLive `max_bitrate` when the viewer does not ask for one, kbit/s (platform's choice: 1080p-ish H.264). */
export const DEFAULT_MAX_BITRATE_KBPS = 2000;
/** AES key length of every Vm stream (SRT `pbkeylen`): AES-128. */
export const STREAM_KEY_BYTES = 16;
/** Characters of a generated SRT passphrase (libsrt accepts 10–79). */
export const PASSPHRASE_CHARS = 32;
/** A WSS viewer whose send buffer holds more than this is backpressured (the MDU queues, then drops it). */
export const WS_VIEWER_MAX_BUFFERED_BYTES = 512 * 1024;
/** Random bytes of a stream id (16 hex digits) and of a viewer id. */
export const STREAM_ID_BYTES = 8;
export const VIEWER_ID_BYTES = 9;
/** WebSocket close code of a viewer whose stream ended (RFC 6455: normal closure), and the longest reason (123 bytes). */
const WS_NORMAL_CLOSE = 1000;
const WS_REASON_MAX_CHARS = 120;
/** Stream states in which a new viewer joins the running session (otherwise a new session starts). */
const JOINABLE = ['idle', 'pushRequested', 'awaitingIngest', 'live.watching', 'live.lingering'];

/** What a viewer is handed. */
export interface LiveTicket {
  stream_id: string;
  viewer_id: string;
  srt_url: string;
  ws_url: string;
  expires_at: string;
  state: string;
}

interface ViewerGrant {
  streamId: string;
  viewerId: string;
  owner: string;
  srtToken: string;
  wsToken: string;
  expiresAt: number;
  /** Connected over SRT or WSS (until then it lapses at expiresAt). */
  connected?: boolean;
}

/** A WSS viewer's socket as the live service drives it. */
export interface LiveSocket {
  send(data: Uint8Array): number;
  getBufferedAmount(): number;
  close(code?: number, reason?: string): void;
}

/** What the live service uses. */
export interface LiveDeps {
  db: Db;
  host: Pick<ActorHost, 'create' | 'dispatch' | 'get' | 'peek' | 'send' | 'subscribe'>;
  log: Logger;
  /** The log for lines outsiders can cause (a device pushing a stream nobody asked for). */
  rateLog: LogLimiter;
  cfg: Pick<Config, 'srtPort' | 'publicHost' | 'liveViewersPerUser' | 'liveLingerMs'>;
  vd: Pick<VdConnections, 'request'>;
  /** Public base URL of the platform (known once the server listens). */
  baseUrl(): string;
}

/** Runs the MDU and everything live. */
export class LiveService {
  mdu!: Mdu;
  private publisherKeys = new Map<string, string>();
  private current = new Map<string, string>(); // `${deviceId}/${channel}` → streamId
  private grants = new Map<string, ViewerGrant>(); // viewerId → grant
  private byToken = new Map<string, ViewerGrant>(); // srt or ws token → grant
  private unsubscribers = new Map<string, () => void>(); // viewerId → stop the WSS feed

  constructor(private p: LiveDeps) {}

  /** Start the MDU on SRT_PORT and follow its events and the PUs' state. */
  async start(): Promise<void> {
    const log = this.p.log.child({ mod: 'mdu' });
    this.mdu = await Mdu.start({ port: this.p.cfg.srtPort, log: (l) => log[l.level]({ ...l, level: undefined }, l.event) });
    const on = <K extends keyof MduEvents>(name: K, fn: (e: MduEvents[K]) => void) =>
      this.mdu.on(name, (e) => {
        try {
          fn(e);
        } catch (err) {
          this.p.log.error({ err: String(err), event: name }, 'live event handler failed');
        }
      });
    on('publish.start', (e) => this.p.host.send(streamActorId(e.streamId), { type: 'ingest.started', ...(e.peer ? { peer: e.peer } : {}) }));
    on('publish.end', (e) => this.p.host.send(streamActorId(e.streamId), { type: 'ingest.ended', reason: e.reason }));
    on('viewer.join', (e) => {
      const g = e.kind === 'srt' && e.token ? this.byToken.get(e.token) : undefined;
      if (g) this.connected(g, 'srt');
    });
    on('viewer.leave', (e) => {
      const g = e.kind === 'srt' && e.token ? this.byToken.get(e.token) : undefined;
      if (g) this.leave(g, `SRT viewer left (${e.reason})`);
    });
    on('stats', (s) => {
      if (!s.live) return;
      this.p.host.send(streamActorId(s.streamId), {
        type: 'stats',
        stats: {
          bitrateBps: s.bitrateBps,
          packets: s.packets,
          bytes: s.bytes,
          viewers: s.viewers,
          at: Date.now(),
          ...(s.srt ? { rttMs: s.srt.msRTT, lostPackets: s.srt.pktRcvLoss, retransmittedPackets: s.srt.pktRetrans } : {}),
        },
      });
    });
    this.p.host.subscribe((t) => this.onTransition(t), { unlogged: false });
    // Streams that were running when the platform stopped cannot resume: their secrets are gone.
    const stale = await this.p.db.rows<{ id: string }>(sql`SELECT id FROM actors WHERE type = 'stream' AND status = 'active'`);
    for (const s of stale) this.p.host.send(s.id, { type: 'platform.restarted' });
  }

  /** Stop the MDU. */
  async stop(): Promise<void> {
    await this.mdu?.stop();
  }

  /** The SRT port viewers and cameras use. */
  get srtPort(): number {
    return this.mdu.port;
  }

  /** Figures for /metrics. */
  figures(): { streams: number; viewers: number; bitrateBps: number } {
    let streams = 0;
    let viewers = 0;
    let bitrateBps = 0;
    for (const streamId of new Set(this.current.values())) {
      const s = this.mdu?.stats(streamId);
      if (!s?.live) continue;
      streams++;
      viewers += s.viewers;
      bitrateBps += s.bitrateBps;
    }
    return { streams, viewers, bitrateBps };
  }

  /** A viewer asks to watch a channel: start its stream if needed, hand out the URLs. */
  async watch(who: Principal, deviceId: string, channel: number, maxBitrateKbps = DEFAULT_MAX_BITRATE_KBPS): Promise<LiveTicket> {
    const [dev] = await this.p.db.orm.select({ channels: devices.channels }).from(devices).where(eq(devices.id, deviceId));
    if (!dev || !(dev.channels as number[]).includes(channel)) throw new DomainError('not-found', `device ${deviceId} has no channel ${channel}`, 'ch');
    const cap = this.p.cfg.liveViewersPerUser;
    if (this.viewersOf(ownerOf(who)) >= cap) {
      throw new DomainError('rate-limited', `at most ${cap} live viewers per user at once: stop watching one first (DELETE …/live)`);
    }
    for (let attempt = 0; attempt < 2; attempt++) {
      const streamId = await this.session(deviceId, channel, maxBitrateKbps);
      const g: ViewerGrant = {
        streamId,
        viewerId: randomToken(VIEWER_ID_BYTES),
        owner: ownerOf(who),
        srtToken: randomToken(),
        wsToken: randomToken(),
        expiresAt: Date.now() + VIEWER_CONNECT_TIMEOUT_MS,
      };
      const passphrase = passphraseOf();
      await this.mdu.allowViewer({ streamId, token: g.srtToken, passphrase, pbkeylen: STREAM_KEY_BYTES, expiresAt: g.expiresAt });
      const r = await this.p.host.dispatch(streamActorId(streamId), { type: 'viewer.join', viewerId: g.viewerId, by: ownerOf(who) });
      if (!r.accepted) {
        await this.mdu.revoke(streamId, g.srtToken);
        this.current.delete(`${deviceId}/${channel}`); // the session is ending: start another one
        continue;
      }
      this.grants.set(g.viewerId, g);
      this.byToken.set(g.srtToken, g);
      this.byToken.set(g.wsToken, g);
      const host = hostOf(this.p.cfg.publicHost);
      return {
        stream_id: streamId,
        viewer_id: g.viewerId,
        // Errata 17: the stream id is written raw, as FFmpeg passes it to libsrt.
        srt_url: `srt://${host}:${this.srtPort}?streamid=#!::r=${streamId},m=request,t=${g.srtToken}&passphrase=${passphrase}&pbkeylen=${STREAM_KEY_BYTES}`,
        ws_url: `${this.p.baseUrl().replace(/^https/, 'wss')}/media/live/${streamId}?token=${g.wsToken}`,
        expires_at: new Date(g.expiresAt).toISOString(),
        state: r.stateKey,
      };
    }
    throw new DomainError('unavailable', 'the stream is restarting; try again');
  }

  /** Viewers an owner holds now: connected, or still allowed to connect. */
  private viewersOf(owner: string, now = Date.now()): number {
    let n = 0;
    for (const g of this.grants.values()) if (g.owner === owner && (g.connected || g.expiresAt > now)) n++;
    return n;
  }

  /** The caller's viewers of a stream leave (idempotent: none left is fine, an unknown stream is not). */
  async unwatch(who: Principal, deviceId: string, channel: number, streamId: string): Promise<number> {
    if (!(await this.belongs(streamId, deviceId, channel))) throw new DomainError('not-found', `no stream ${streamId} on this channel`, 'stream_id');
    let n = 0;
    for (const g of [...this.grants.values()]) {
      if (g.streamId !== streamId || (g.owner !== ownerOf(who) && who.role !== 'admin')) continue;
      this.leave(g, 'the viewer left');
      n++;
    }
    return n;
  }

  /** A WSS viewer presents its token: the grant, if valid (the token is then used up). */
  takeWsToken(streamId: string, token: string): ViewerGrant | undefined {
    const g = this.byToken.get(token);
    if (!g || g.wsToken !== token || g.streamId !== streamId || g.expiresAt < Date.now() || this.unsubscribers.has(g.viewerId)) return undefined;
    this.byToken.delete(token);
    return g;
  }

  /** Feed a WSS viewer from the MDU (whole TS packets, from the latest keyframe). */
  attachWs(g: ViewerGrant, ws: LiveSocket): void {
    const stop = this.mdu.subscribe(
      g.streamId,
      (chunk) => {
        if (ws.getBufferedAmount() > WS_VIEWER_MAX_BUFFERED_BYTES) return false;
        ws.send(chunk);
        return true;
      },
      (reason) => ws.close(WS_NORMAL_CLOSE, `stream ended: ${reason}`.slice(0, WS_REASON_MAX_CHARS)),
    );
    this.unsubscribers.set(g.viewerId, stop);
    this.connected(g, 'ws');
  }

  /** A WSS viewer's socket closed. */
  detachWs(g: ViewerGrant, reason: string): void {
    this.leave(g, reason);
  }

  /** The stream machine's effects. */
  effects(): StreamEffectHandlers {
    return {
      'live.push': (c) => this.push(c),
      'live.stop': (c) => this.stopDevice(c),
      'live.close': (c) => this.close(c),
    };
  }

  private async push(c: StreamEffectCall<'live.push'>): Promise<void> {
    const { streamId, deviceId, channel, maxBitrateKbps } = c.params;
    const token = randomToken();
    const passphrase = passphraseOf();
    this.publisherKeys.set(streamId, passphrase);
    await this.mdu.allowPublisher({ streamId, token, passphrase, pbkeylen: STREAM_KEY_BYTES });
    const url = `srt://${hostOf(this.p.cfg.publicHost)}:${this.srtPort}?streamid=#!::r=${streamId},m=publish,t=${token}&passphrase=${passphrase}&pbkeylen=${STREAM_KEY_BYTES}`;
    const a = await this.p.vd.request(deviceId, 'PushLive', { channel, url, stream_id: streamId, max_bitrate: maxBitrateKbps });
    this.p.host.send(
      c.actorId,
      a.ok ? { type: 'push.result', ok: true } : { type: 'push.result', ok: false, ...(a.kind === 'err' ? { code: a.code } : {}), msg: a.msg },
    );
  }

  private async stopDevice(c: StreamEffectCall<'live.stop'>): Promise<void> {
    const { streamId, deviceId, channel } = c.params;
    const a = await this.p.vd.request(deviceId, 'StopLive', { stream_id: streamId, channel });
    this.p.host.send(
      c.actorId,
      a.ok ? { type: 'stop.result', ok: true } : { type: 'stop.result', ok: false, ...(a.kind === 'err' ? { code: a.code } : {}), msg: a.msg },
    );
  }

  private async close(c: StreamEffectCall<'live.close'>): Promise<void> {
    const { streamId, reason } = c.params;
    this.publisherKeys.delete(streamId);
    for (const [key, id] of this.current) if (id === streamId) this.current.delete(key);
    for (const g of [...this.grants.values()]) if (g.streamId === streamId) this.forget(g);
    await this.mdu.closeStream(streamId, reason);
  }

  /** The running session of a channel, or a new one. */
  private async session(deviceId: string, channel: number, maxBitrateKbps: number): Promise<string> {
    const key = `${deviceId}/${channel}`;
    const known = this.current.get(key);
    if (known) {
      const v = this.p.host.peek(streamActorId(known)) ?? (await this.p.host.get(streamActorId(known)));
      if (v && v.status === 'active' && JOINABLE.includes(v.stateKey)) return known;
    }
    const streamId = randomBytes(STREAM_ID_BYTES).toString('hex');
    this.current.set(key, streamId);
    await this.p.host.create(
      'stream',
      streamActorId(streamId),
      {
        streamId,
        deviceId,
        channel,
        maxBitrateKbps,
        lingerMs: this.p.cfg.liveLingerMs,
      },
      { deviceId, parentId: puActorId(deviceId), fresh: true },
    );
    return streamId;
  }

  private async belongs(streamId: string, deviceId: string, channel: number): Promise<boolean> {
    const v = await this.p.host.get(streamActorId(streamId));
    const c = v?.context as StreamContext | undefined;
    return Boolean(c && c.deviceId === deviceId && c.channel === channel);
  }

  private connected(g: ViewerGrant, kind: 'srt' | 'ws'): void {
    g.connected = true;
    // One connection per viewer: the other URL stops working.
    if (kind === 'srt') this.byToken.delete(g.wsToken);
    else this.mdu.revoke(g.streamId, g.srtToken).catch(() => {});
    this.p.host.send(streamActorId(g.streamId), { type: 'viewer.connected', viewerId: g.viewerId, kind });
  }

  private leave(g: ViewerGrant, reason: string): void {
    if (!this.grants.has(g.viewerId)) return;
    this.forget(g);
    this.mdu.revoke(g.streamId, g.srtToken).catch(() => {}); // disconnects an SRT viewer admitted with it
    this.p.host.send(streamActorId(g.streamId), { type: 'viewer.leave', viewerId: g.viewerId, reason });
  }

  private forget(g: ViewerGrant): void {
    this.grants.delete(g.viewerId);
    this.byToken.delete(g.srtToken);
    this.byToken.delete(g.wsToken);
    const stop = this.unsubscribers.get(g.viewerId);
    this.unsubscribers.delete(g.viewerId);
    stop?.();
  }

  /** PU transitions: offline ends its streams; a channel pushing a stream the platform did not ask for is told to stop (NOTES 2). */
  private onTransition(t: Transition): void {
    if (t.type === 'stream' && t.event.type === 'viewer.expired') {
      // A viewer that never connected lapsed in the stream actor: its grant goes too.
      const g = this.grants.get(String(t.event.viewerId));
      if (g && !g.connected) this.leave(g, 'never connected');
      return;
    }
    if (t.type !== 'pu' || !t.logged) return;
    const deviceId = String(t.context.deviceId);
    if (t.stateKey === 'offline' || t.stateKey === 'deprovisioned') {
      for (const [key, streamId] of this.current) {
        if (key.startsWith(`${deviceId}/`)) this.p.host.send(streamActorId(streamId), { type: 'pu.offline', reason: String(t.context.reason) });
      }
      return;
    }
    if (t.event.type !== 'vd.keepalive') return;
    for (const ch of (t.context.channelStates as Array<{ channel: number; stream_id?: string }>) ?? []) {
      if (!ch.stream_id || this.current.get(`${deviceId}/${ch.channel}`) === ch.stream_id) continue;
      this.p.rateLog.warn(
        deviceId,
        { device: deviceId, channel: ch.channel, stream: ch.stream_id },
        'device pushes a stream the platform does not expect: StopLive',
      );
      this.p.vd.request(deviceId, 'StopLive', { stream_id: ch.stream_id, channel: ch.channel }).catch(() => {});
    }
  }
}

function ownerOf(who: Principal): string {
  return who.kind === 'user' ? `user:${who.userId}` : 'admin-token';
}

function hostOf(publicHost: string): string {
  return publicHost.includes(':') ? `[${publicHost}]` : publicHost;
}

function passphraseOf(): string {
  return randomBytes(PASSPHRASE_CHARS).toString('base64url').slice(0, PASSPHRASE_CHARS);
}
