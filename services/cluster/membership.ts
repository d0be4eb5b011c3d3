/**
 * Membership (docs/cluster.md): this node's row in `cluster_nodes`, its epoch and its lease. The
 * lease is judged by the database's clock; the node also keeps its own deadline and stops writing
 * (the host holds its commits, /healthz says 503) before the database would let anyone adopt its
 * actors. Every node also watches the others: one whose lease ran out is declared dead, and the
 * actors of dead nodes whose timers fall due are adopted here.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { dbErrorSummary, withinMs } from '../../db/errors.ts';
import type { Logger } from '../../lib/log.ts';
import type { OwnerLease } from '../../actors/host/host.ts';

/** A node's lease (platform's choice): a GC pause or a stalled event loop of a few seconds does not cost a node its devices. */
export const NODE_LEASE_MS = 15_000;
/** Heartbeat period: a third of the lease, so two heartbeats may fail before it lapses. */
export const NODE_HEARTBEAT_MS = NODE_LEASE_MS / 3;
/** The node stops writing this long before its lease ends: a statement sent just before still lands in time. */
export const LEASE_SAFETY_MARGIN_MS = 3_000;
/** While the lease has lapsed (a database outage, say), the heartbeat is tried this often: writes resume soon after it is back. */
export const LAPSED_HEARTBEAT_MS = 1_000;
/** How often dead nodes are looked for and their due actors adopted: their timers fire at most lease + this late. */
export const ADOPT_INTERVAL_MS = 2_000;
/** Timers due within this are adopted eagerly; later ones when their adoption round comes. */
export const ADOPT_HORIZON_MS = 60_000;
/** An outbox message undelivered this long is an orphan (its sender's node died after the commit): delivered here if ours. */
export const OUTBOX_ORPHAN_AGE_MS = 5_000;
/**
 * A database outage this long (issue #19: 20 s) is ridden out with every device connected and untouched, whatever
 * the lease says: a node cannot tell a database that is down for everyone from one only it cannot reach.
 */
export const DB_OUTAGE_RIDDEN_OUT_MS = 20_000;
/**
 * A node whose lease has not been renewed for this long (since the answer to its last successful heartbeat) tells its
 * devices to Reschedule (H.627.2 I.2.6): the answer came at most a heartbeat period before the database went silent,
 * so a 20 s outage is over first, and by then the database's lease (set at most the lease after that answer) has long
 * ended, a survivor has declared the node dead and every Vs gives a healthy node (never a dead one). A device whose
 * Vs fails (a database down for everyone) stays where it is, so a Reschedule moves devices only where a node can serve.
 */
export const LAPSED_RESCHEDULE_AFTER_MS = DB_OUTAGE_RIDDEN_OUT_MS + NODE_HEARTBEAT_MS + 5_000;
/** While still lapsed, devices are told again this often (one lost the message, or its Vs call failed). */
export const LAPSED_RETELL_MS = 10_000;
/** After this many tellings, the devices still connected are disconnected (they ignore Reschedule), as a drain does. */
export const LAPSED_TELLS_BEFORE_CLOSE = 3;

/** Node states (docs/cluster.md); only the first three hold a lease. */
export type NodeState = 'joining' | 'active' | 'draining' | 'gone' | 'dead';

/** What a heartbeat reports of a node's load. */
export interface NodeLoad {
  pus: number;
  streams: number;
  uploads: number;
  /** Share of one core the process used since the last heartbeat (1 = one core). */
  cpu: number;
}

/** This node as others reach it. */
export interface NodeAddress {
  id: string;
  baseUrl: string;
  publicHost: string;
  httpPort: number;
  srtPort: number;
}

/** What membership tells the rest of the node. */
export interface MembershipHooks {
  /** Another node's lease ran out and this node declared it dead. */
  nodeDead?(id: string, epoch: number): void;
  /** This node learnt it was declared dead: it must let go of everything (sockets, residents) before it joins again. */
  declaredDead?(): void;
  /** This node joined (again) under `epoch` (awaited before the join returns). */
  joined?(epoch: number): Promise<void>;
  /**
   * This node's lease has lapsed long enough that others own its devices' actors (docs/cluster.md, "Partitions and
   * pauses"): `reschedule` once LAPSED_RESCHEDULE_AFTER_MS passed and every LAPSED_RETELL_MS after, `close` after
   * LAPSED_TELLS_BEFORE_CLOSE tellings. A heartbeat that succeeds again starts over.
   */
  shedDevices?(how: 'reschedule' | 'close'): void;
}

/** What membership uses. */
export interface MembershipDeps {
  db: Db;
  log: Logger;
  /** The host's adoption (ActorHost.adopt). */
  adopt(horizonMs: number, outboxAgeMs: number): Promise<{ actors: number; messages: number }>;
  load(): Omit<NodeLoad, 'cpu'>;
}

/** This node's membership: joins, renews its lease, watches the others. */
export class Membership implements OwnerLease {
  private self: NodeAddress | undefined;
  private current = 0;
  /** performance.now() after which this node writes nothing until a heartbeat succeeds again. */
  private deadline = 0;
  /** performance.now() when the last successful heartbeat (or join) was sent. */
  private renewedAt = 0;
  /** performance.now() when the answer to it came: the database's lease ends at most NODE_LEASE_MS after. */
  private ackedAt = 0;
  /** How many times this lapse told the devices to Reschedule, and when last (none while the lease holds). */
  private tellings = 0;
  private toldAt = 0;
  private state: NodeState = 'joining';
  private timers: Array<ReturnType<typeof setInterval>> = [];
  private cpuAt = { t: performance.now(), usage: process.cpuUsage() };
  private beating = false;
  private watching = false;

  constructor(
    private deps: MembershipDeps,
    private hooks: MembershipHooks = {},
  ) {}

  /** This node's id (known once it joined: NODE_ID, or its address once it listens). */
  get node(): string {
    return this.self?.id ?? '';
  }

  epoch(): number {
    return this.current;
  }

  writable(): boolean {
    return this.current > 0 && performance.now() < this.deadline && this.state !== 'gone';
  }

  /** For /healthz: whether this node may write, and why not. */
  health(): { ok: boolean; reason?: string } {
    if (this.current === 0) return { ok: false, reason: 'not joined' };
    if (this.state === 'gone') return { ok: false, reason: 'node left the cluster' };
    if (!this.writable()) {
      const s = Math.round((performance.now() - this.ackedAt) / 1000);
      return { ok: false, reason: `lease lost: the database has not renewed this node for ${s} s` };
    }
    return { ok: true };
  }

  /** Join (as `self`, or as before): a new epoch for this node id, state joining, a fresh lease. */
  async join(self?: NodeAddress): Promise<number> {
    if (self) this.self = self;
    const s = this.self;
    if (!s) throw new Error('a node joins with its address');
    const t0 = performance.now();
    const [row] = await this.deps.db.rows<{ epoch: number }>(sql`INSERT INTO cluster_nodes
        (id, epoch, state, base_url, public_host, http_port, srt_port, load, started_at, heartbeat_at, lease_until)
      VALUES (${s.id}, 1, 'joining', ${s.baseUrl}, ${s.publicHost}, ${s.httpPort}, ${s.srtPort}, '{}', now(), now(),
        now() + make_interval(secs => ${NODE_LEASE_MS / 1000}))
      ON CONFLICT (id) DO UPDATE SET epoch = cluster_nodes.epoch + 1, state = 'joining', base_url = excluded.base_url,
        public_host = excluded.public_host, http_port = excluded.http_port, srt_port = excluded.srt_port, load = '{}',
        started_at = now(), heartbeat_at = now(), lease_until = excluded.lease_until
      RETURNING epoch::float8 AS epoch`);
    this.current = row!.epoch;
    this.state = 'joining';
    this.renewed(t0);
    this.deps.log.info({ node: s.id, epoch: this.current, baseUrl: s.baseUrl }, 'node joined the cluster');
    await this.hooks.joined?.(this.current);
    return this.current;
  }

  /** Joined and serving: state active, and the heartbeat and the watch on other nodes run. */
  async activate(): Promise<void> {
    await this.setState('active');
    this.timers.push(
      setInterval(() => {
        if (performance.now() - this.renewedAt >= NODE_HEARTBEAT_MS || !this.writable()) void this.heartbeat();
        this.shedIfLapsed();
      }, LAPSED_HEARTBEAT_MS),
    );
    this.timers.push(setInterval(() => void this.watch(), ADOPT_INTERVAL_MS));
  }

  /** Draining: Vs gives this node no new devices; it keeps its lease until it leaves. */
  drain(): Promise<void> {
    return this.setState('draining');
  }

  /**
   * Leave after the host wrote everything: state gone, and every actor this epoch owned is let go
   * (owner null), so that other nodes claim them on first use and adopt their timers at once.
   */
  async leave(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.current === 0) return;
    const db = this.deps.db;
    await db.rows(sql`UPDATE actors SET owner_node = NULL, owner_epoch = NULL WHERE owner_node = ${this.node} AND owner_epoch = ${this.current}`);
    await db.rows(sql`UPDATE cluster_nodes SET state = 'gone', lease_until = now() WHERE id = ${this.node} AND epoch = ${this.current}`);
    this.state = 'gone';
    this.deps.log.info({ node: this.node, epoch: this.current }, 'node left the cluster');
  }

  /** Stop the timers only (a crash-like stop in tests: the lease simply runs out). */
  stopTimers(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** The lease was renewed by a statement sent at `sentAt` (its answer is here now). */
  private renewed(sentAt: number): void {
    this.renewedAt = sentAt;
    this.ackedAt = performance.now();
    // The deadline counts from the send: the database's lease began after it, so it ends later than this.
    this.deadline = sentAt + NODE_LEASE_MS - LEASE_SAFETY_MARGIN_MS;
    this.tellings = 0;
  }

  /**
   * A node cut off from the database keeps its devices' sockets, and answers their keepalives, while survivors own
   * their actors: it cannot serve them (every write waits) and the devices would never leave. Once the lease is surely
   * over everywhere they are told to Reschedule (they ask Vs, which gives a healthy node), and later disconnected.
   */
  private shedIfLapsed(): void {
    if (this.current === 0 || this.state === 'gone' || this.writable() || this.tellings > LAPSED_TELLS_BEFORE_CLOSE) return;
    const now = performance.now();
    if (now - this.ackedAt < LAPSED_RESCHEDULE_AFTER_MS || (this.tellings > 0 && now - this.toldAt < LAPSED_RETELL_MS)) return;
    const how = this.tellings < LAPSED_TELLS_BEFORE_CLOSE ? 'reschedule' : 'close';
    this.tellings++;
    this.toldAt = now;
    this.deps.log.warn(
      { node: this.node, epoch: this.current, lapsedMs: Math.round(now - this.ackedAt), devices: how },
      'lease lapsed: handing the devices to healthy nodes',
    );
    this.hooks.shedDevices?.(how);
  }

  private async setState(state: NodeState): Promise<void> {
    const rows = await this.deps.db.rows(sql`UPDATE cluster_nodes SET state = ${state}
      WHERE id = ${this.node} AND epoch = ${this.current} AND state IN ('joining', 'active', 'draining') RETURNING 1`);
    if (rows.length === 0) throw new Error(`node ${this.node} epoch ${this.current} is no longer a member: cannot become ${state}`);
    this.state = state;
  }

  private cpu(): number {
    const now = performance.now();
    const usage = process.cpuUsage();
    const used = (usage.user - this.cpuAt.usage.user + usage.system - this.cpuAt.usage.system) / 1000;
    const share = now > this.cpuAt.t ? used / (now - this.cpuAt.t) : 0;
    this.cpuAt = { t: now, usage };
    return Math.round(share * 1000) / 1000;
  }

  /** Renew the lease; a heartbeat that finds this epoch no longer a member starts over as a new one. */
  async heartbeat(): Promise<void> {
    if (this.beating || this.current === 0) return;
    this.beating = true;
    const t0 = performance.now();
    try {
      const load: NodeLoad = { ...this.deps.load(), cpu: this.cpu() };
      // Bounded: on a connection gone silent (a partition without a reset) the next tick tries again, and a late
      // answer is ignored (the deadline only moves on an answer in time, so it errs on the safe side).
      const rows = await withinMs(
        this.deps.db.rows(sql`UPDATE cluster_nodes SET heartbeat_at = now(),
          lease_until = now() + make_interval(secs => ${NODE_LEASE_MS / 1000}), load = ${JSON.stringify(load)}::json
        WHERE id = ${this.node} AND epoch = ${this.current} AND state IN ('joining', 'active', 'draining') RETURNING 1`),
        NODE_HEARTBEAT_MS,
        'the heartbeat was not answered in time',
      );
      if (rows.length > 0) {
        this.renewed(t0);
        return;
      }
      if (this.state === 'gone') return;
      // Declared dead by another node: never argue back. Let go of everything, and join as a new epoch.
      this.deps.log.error(
        { node: this.node, epoch: this.current },
        'this node was declared dead by the cluster: letting go of its devices and actors, joining again',
      );
      this.deadline = 0;
      this.hooks.declaredDead?.();
      const draining = this.state === 'draining';
      await this.join();
      await this.setState(draining ? 'draining' : 'active');
    } catch (err) {
      this.deps.log.warn({ err: dbErrorSummary(err), writableForMs: Math.max(0, Math.round(this.deadline - performance.now())) }, 'heartbeat failed');
    } finally {
      this.beating = false;
    }
  }

  /** Declare dead the nodes whose lease ran out, then adopt what falls due of theirs. */
  async watch(): Promise<void> {
    if (this.watching || !this.writable()) return;
    this.watching = true;
    try {
      const dead = await this.deps.db.rows<{ id: string; epoch: number }>(sql`UPDATE cluster_nodes SET state = 'dead'
        WHERE state IN ('joining', 'active', 'draining') AND lease_until < now() AND id <> ${this.node}
        RETURNING id, epoch::float8 AS epoch`);
      for (const d of dead) {
        this.deps.log.warn({ node: d.id, epoch: d.epoch }, 'node declared dead: its lease ran out');
        this.hooks.nodeDead?.(d.id, d.epoch);
      }
      const adopted = await this.deps.adopt(ADOPT_HORIZON_MS, OUTBOX_ORPHAN_AGE_MS);
      if (adopted.actors > 0 || adopted.messages > 0) this.deps.log.info(adopted, 'adopted actors and messages of dead nodes');
    } catch (err) {
      this.deps.log.warn({ err: dbErrorSummary(err) }, 'cluster watch failed');
    } finally {
      this.watching = false;
    }
  }
}
