/**
 * The live feed behind `GET /api/events` (docs/console.md): one subscription to the actor host,
 * fanned out to every connected console, each seeing only what its principal may see (a user the
 * actors of the devices they have a role on, services/devices/access.ts; an admin everything). The host builds transitions only while some
 * listener exists, so the feed subscribes with the first connection and leaves with the last.
 */
import type { ActorHost, ActorView, Transition } from '../../actors/host/host.ts';
import type { Principal } from '../users/principal.ts';
import type { EventsQuery } from '../../protocol/console-api.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import { statusOf, type DeviceStatus } from '../devices/devices.ts';
import { roleFromAcl, type DeviceAccess, type DeviceAcl, type DeviceRole } from '../devices/access.ts';

/** Events that change who reaches a device (its binding, its shares), or whether it exists. */
const OWNERSHIP_EVENTS = new Set(['device.bound', 'device.shared', 'device.provisioned', 'device.deprovisioned']);

/** A camera's status as the feed sends it: the API's device status plus what just happened, and the receiver's role. */
export type DeviceFeedStatus = DeviceStatus & {
  role: DeviceRole;
  last_log: { transId: string; status: string; size: number; at: number } | null;
  last_alarm: { channel: number; type: number; state: string; at: number; alarmId: string } | null;
};

/** One actor transition as the feed sends it. */
export interface TransitionFeedEvent {
  actorId: string;
  type: string;
  seq: number;
  logged: boolean;
  at: number;
  event: Transition['event'];
  value: unknown;
  stateKey: string;
  status: string;
  changes: Transition['changes'];
  deviceId: string | null;
  parentId: string | null;
  context?: Record<string, unknown>;
  timers?: ActorView['timers'];
}

/** What a connection receives: named events with a JSON body; `key` lets the connection coalesce. */
export interface FeedSink {
  send(event: 'device' | 'device.removed' | 'transition' | 'alarm.picture', data: unknown, key?: string): void;
}

/** A connected console. */
interface Subscriber {
  who: Principal;
  query: EventsQuery;
  sink: FeedSink;
}

/** The other nodes' transitions (services/cluster/cluster-feed.ts): followed while consoles are connected here. */
export interface FeedUpstream {
  start(deliver: (t: Transition, view: ActorView | undefined) => void): void;
  stop(): void;
}

/** What the feed uses. */
export interface EventFeedDeps {
  db: Db;
  host: Pick<ActorHost, 'peek' | 'subscribe'>;
  log: Logger;
  /** Who reaches a device: its row and shares. */
  access: Pick<DeviceAccess, 'acl'>;
  /** In a cluster: the other nodes' transitions, merged into this feed and filtered as this node's own. */
  upstream?: FeedUpstream;
}

/** Fans committed transitions out to console connections. */
export class EventFeed {
  private subs = new Set<Subscriber>();
  private leaveHost?: () => void;
  private rows = new Map<string, Promise<DeviceAcl | null>>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private p: EventFeedDeps) {}

  /** Number of connected consoles. */
  get size(): number {
    return this.subs.size;
  }

  /** Connect a console; returns the function that disconnects it. */
  connect(who: Principal, query: EventsQuery, sink: FeedSink): () => void {
    const sub: Subscriber = { who, query, sink };
    this.subs.add(sub);
    if (!this.leaveHost) {
      this.leaveHost = this.p.host.subscribe((t) => this.enqueue(t, this.p.host.peek(t.actorId)));
      this.p.upstream?.start((t, view) => this.enqueue(t, view));
    }
    return () => {
      this.subs.delete(sub);
      if (this.subs.size === 0 && this.leaveHost) {
        this.leaveHost();
        this.leaveHost = undefined;
        this.p.upstream?.stop();
        this.rows.clear(); // nobody listens to ownership changes any more: the cache would go stale
      }
    };
  }

  /**
   * An alarm's picture is stored. It arrives after the alarm (the camera uploads it once AlarmNotify
   * is answered, H.627.2 I.2.16), so the consoles showing the device's alarms are told to load them again.
   */
  alarmPicture(deviceId: string, alarmId: string): void {
    if (this.subs.size === 0) return;
    // In the transitions' queue: after the alarm's own transition, which is already in it.
    this.chain = this.chain
      .then(async () => {
        const acl = await this.row(deviceId);
        for (const s of this.subs) {
          if (s.query.topic !== 'devices' || (s.query.device && s.query.device !== deviceId) || !roleFromAcl(s.who, acl)) continue;
          s.sink.send('alarm.picture', { device_id: deviceId, alarm_id: alarmId });
        }
      })
      .catch((err) => this.p.log.warn({ err: String(err) }, 'event feed failed on an alarm picture'));
  }

  /** One queue for every transition, local or another node's, so a device row being loaded never reorders them. */
  private enqueue(t: Transition, view: ActorView | undefined): void {
    this.chain = this.chain.then(() => this.dispatch(t, view)).catch((err) => this.p.log.warn({ err: String(err) }, 'event feed failed on a transition'));
  }

  private row(deviceId: string): Promise<DeviceAcl | null> {
    let r = this.rows.get(deviceId);
    if (!r) {
      r = this.p.access.acl(deviceId);
      this.rows.set(deviceId, r);
      r.catch(() => this.rows.delete(deviceId));
    }
    return r;
  }

  private async dispatch(t: Transition, view: ActorView | undefined): Promise<void> {
    if (this.subs.size === 0) return;
    const deviceId = view?.deviceId ?? (typeof t.context.deviceId === 'string' ? t.context.deviceId : null);
    const parentId = view?.parentId ?? null;
    let before: DeviceAcl | null = null;
    if (deviceId && t.type === 'pu' && OWNERSHIP_EVENTS.has(t.event.type)) {
      before = await this.row(deviceId);
      this.rows.delete(deviceId);
    }
    const acl = deviceId ? await this.row(deviceId) : null;
    let status: Omit<DeviceFeedStatus, 'role'> | undefined;
    let full: TransitionFeedEvent | undefined;
    for (const s of this.subs) {
      const role = roleFromAcl(s.who, acl);
      if (s.query.topic === 'devices') {
        if (t.type !== 'pu' || !deviceId || (s.query.device && s.query.device !== deviceId)) continue;
        if (roleFromAcl(s.who, before) && !role) s.sink.send('device.removed', { device_id: deviceId }, deviceId);
        if (acl && role) s.sink.send('device', { ...(status ??= feedStatus(acl, view, t)), role }, deviceId);
        continue;
      }
      const q = s.query;
      if (q.actor ? q.actor !== t.actorId : !t.logged) continue;
      if (q.type && q.type !== t.type) continue;
      if (q.device && q.device !== deviceId) continue;
      if (q.parent && q.parent !== parentId) continue;
      if (s.who.role !== 'admin' && !role) continue;
      full ??= {
        actorId: t.actorId,
        type: t.type,
        seq: t.seq,
        logged: t.logged,
        at: t.at,
        event: t.event,
        value: t.value,
        stateKey: t.stateKey,
        status: t.status,
        changes: t.changes,
        deviceId,
        parentId,
      };
      const withContext = q.actor || q.context;
      s.sink.send('transition', withContext ? { ...full, context: t.context, timers: view?.timers ?? [] } : full);
    }
  }
}

function feedStatus({ row }: DeviceAcl, view: ActorView | undefined, t: Transition): Omit<DeviceFeedStatus, 'role'> {
  // The transition's own state and context, not the actor's latest: events arrive in order.
  const v = { ...(view as ActorView), stateKey: t.stateKey, context: t.context };
  const c = t.context as { lastLog?: DeviceFeedStatus['last_log']; lastAlarm?: DeviceFeedStatus['last_alarm'] };
  return { ...statusOf(row, v), last_log: c.lastLog ?? null, last_alarm: c.lastAlarm ?? null };
}
