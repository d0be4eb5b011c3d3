/**
 * The hibernation server (OVC hibernation.md; H.627.2 I.1 `HibernationDomain`, I.2.2 `hibernation`; NOTES 20): a TCP
 * listener that sleeping devices keep one connection to. It checks every heartbeat (identity known, `hb_token`
 * right: else dropped and logged, never an event), tells the device's pu actor (`hibernation.heartbeat`, and
 * `hibernation.linkClosed` when the connection ends), and sends `TOWAKEUP` when asked to wake a device. The pu machine
 * decides what a heartbeat means (pu.hibernation.ts); this server does the I/O, keeps a node-local map of which
 * connection holds which device, rebuilt from heartbeats, and keeps the heartbeats of a pu that sleeps on its link
 * instead of sending them (asleep.ts: the pu is dormant while asleep).
 *
 * Bounds (every number input can reach): connections in all and per address, a first valid heartbeat within
 * HIBERNATION_FIRST_HEARTBEAT_MS, a connection silent past the offline time closed, bytes per window, refused frames.
 */
import type { Socket, TCPSocketListener } from 'bun';
import type { Logger } from '../../lib/log.ts';
import type { LogLimiter } from '../../lib/log-limit.ts';
import { HeartbeatFramer, HIBERNATION_HEARTBEAT_BYTES, HIBERNATION_WAKE_BYTES, parseHeartbeat } from '../../protocol/hibernation.ts';
import { type Budget, TokenBucket } from '../../lib/token-bucket.ts';
import { deviceOfPu, puActorId } from '../../actors/machines/ids.ts';
import { ActorElsewhereError, type ActorHost } from '../../actors/host/host.ts';
import { AsleepMap } from './asleep.ts';
import { linkKey, linkText, newLinkNumber } from './link-id.ts';
import { isHbToken } from './hb-token.ts';
import { TakeInCollector } from './takein-gc.ts';
import type { HibernationRelay } from './wake.ts';

/** Connections the server holds at once (platform's choice: under the process's 20,000 open files, beside Vd's). */
export const HIBERNATION_CONNECTIONS_MAX = 16_000;
/** Connections one address may hold (platform's choice: a building's battery cameras behind one NAT). */
export const HIBERNATION_CONNECTIONS_PER_ADDRESS = 256;
/** A new connection must bring a valid heartbeat this soon (OVC: a device sends one on connecting; platform's choice). */
export const HIBERNATION_FIRST_HEARTBEAT_MS = 30_000;
/**
 * Bytes a connection may send: a burst of 10 heartbeats, then one a second (platform's choice: a device sends one a
 * minute; a test with a short offline time, more). Past it the connection is closed: 16,000 links cost at most 640 kB/s.
 */
export const HIBERNATION_BYTE_BUDGET: Budget = { ratePerS: HIBERNATION_HEARTBEAT_BYTES, burst: 10 * HIBERNATION_HEARTBEAT_BYTES };
/** Refused frames (bad format, unknown device, wrong token) after which a connection is closed (platform's choice). */
export const HIBERNATION_REFUSALS_MAX = 3;
/** Bytes that begin no heartbeat a connection may send before it is closed (platform's choice: a device sends none). */
export const HIBERNATION_GARBAGE_MAX_BYTES = HIBERNATION_HEARTBEAT_BYTES;
/**
 * New links taken in at once: an identity check (a database read) and, for a link it proves, the pu taking the
 * heartbeat (loaded, its transition committed); the others wait in line, one entry per link (platform's choice:
 * 10,000 cameras reconnecting at once would otherwise put 10,000 reads, loaded actors and their results in memory
 * together, which the allocators keep long after: docs/benchmarks.md, hibernation).
 */
export const HIBERNATION_CHECKS_MAX = 32;
/** How often connections are checked for silence (platform's choice: a tenth of the first-heartbeat time). */
export const HIBERNATION_SWEEP_MS = 3_000;

/** What the server needs of the platform. */
export interface HibernationDeps {
  host: Pick<ActorHost, 'send' | 'dispatch' | 'holds' | 'subscribe' | 'addVolatileSource'>;
  /** In a cluster: the event goes to the node owning the device's pu when that is another (false: it is this one). */
  tellOwner?(deviceId: string, event: HibernationRelay['event']): Promise<boolean>;
  /** The device a heartbeat's identity names (its MAC or its id). */
  findDevice(identity: string): Promise<{ id: string } | undefined>;
  key: Buffer;
  log: Logger;
  rateLog: Pick<LogLimiter, 'warn'>;
  /** This node's id (the pu records where its link is: a wake is sent from there). */
  nodeId(): string;
  /** The take-ins' heap collector (default: the real one, takein-gc.ts). */
  collector?: TakeInCollector;
}

/** The server's settings. */
export interface HibernationOptions {
  hostname: string;
  port: number;
  /** A sleeping device is offline after this long without a heartbeat, ms (HIBERNATION_OFFLINE_S). */
  offlineAfterMs: number;
  /** Tests' shorter times: HIBERNATION_FIRST_HEARTBEAT_MS and HIBERNATION_SWEEP_MS by default. */
  firstHeartbeatMs?: number;
  sweepMs?: number;
}

/** One source address's connections (its address string shared by them: one string per address, not per link). */
class Address {
  links = 0;
  constructor(readonly ip: string) {}
}

/**
 * One connection's state, one object: a sleeping camera's link lives as long as it sleeps, so it holds no nested
 * objects of its own (its byte budget is the object itself), its id as a number (link-id.ts), its address as the one
 * object of that address, its device as its pu actor's id and what proved it as one string (docs/benchmarks.md,
 * hibernation: each long-lived allocation pins memory).
 */
class Link extends TokenBucket {
  /** Made for the first read that is not one whole heartbeat (a split or a garbled one): most links never need it. */
  framer?: HeartbeatFramer = undefined;
  /** The pu actor of the device its heartbeats proved to be, and the identity and token that proved it (checked once). */
  actorId?: string = undefined;
  proof?: string = undefined;
  lastValidAt?: number = undefined;
  refusals = 0;
  closed = false;
  /** Its identity is being checked now. */
  checking = false;
  /** Whether the link is in line for an identity check, with its newest heartbeat waiting for it (held). */
  queued = false;
  held?: { macid: string; token: string; at: number } = undefined;

  constructor(
    readonly linkNo: number,
    readonly address: Address,
    readonly openedAt: number,
  ) {
    super(HIBERNATION_BYTE_BUDGET);
  }

  /** The link's id as the pu records it. */
  get linkId(): string {
    return linkText(this.linkNo);
  }

  get ip(): string {
    return this.address.ip;
  }

  /** The device its heartbeats proved to be. */
  get deviceId(): string | undefined {
    return this.actorId && deviceOfPu(this.actorId);
  }
}

/** What a heartbeat proves, as one string: its identity and its token (a newline is in neither: printable ASCII). */
const proofOf = (macid: string, token: string) => [macid, token].join('\n');

type LinkSocket = Socket<Link>;

/** The hibernation TCP server of one node. */
export class HibernationServer {
  private listener?: TCPSocketListener<Link>;
  /** pu actor id → the link its device's heartbeats came on last. */
  private readonly byActor = new Map<string, LinkSocket>();
  private readonly perAddress = new Map<string, Address>();
  /**
   * Open connections without a valid heartbeat yet (swept for their first one; the others are in `byActor`, swept for
   * the offline time: no set of every link, an entry less per sleeping camera), and how many are open in all.
   */
  private readonly fresh = new Set<LinkSocket>();
  private open = 0;
  private sweep?: ReturnType<typeof setInterval>;
  /** Identity checks in flight, and the links waiting for one (each at most once). */
  private checks = 0;
  private readonly waiting: LinkSocket[] = [];
  /** Sleeping devices' pu actors and their last heartbeats (asleep.ts). */
  private readonly asleep: AsleepMap;
  /** Collects the heap every so many take-ins (takein-gc.ts). */
  private readonly collector: TakeInCollector;

  constructor(
    private readonly p: HibernationDeps,
    private readonly o: HibernationOptions,
  ) {
    // The last heartbeat of a device whose link is here is its link's (not kept twice).
    this.asleep = new AsleepMap(o.offlineAfterMs, Date.now(), (actorId) => this.byActor.get(actorId)?.data.lastValidAt);
    this.collector = p.collector ?? new TakeInCollector();
    p.host.subscribe((t) => this.asleep.observe(t), { unlogged: false });
    p.host.addVolatileSource(this.asleep);
  }

  /** The port it listens on (after start). */
  get port(): number {
    return this.listener?.port ?? 0;
  }

  /** Connections held now. */
  get size(): number {
    return this.open;
  }

  /** Listen. */
  start(): void {
    this.listener = Bun.listen<Link>({
      hostname: this.o.hostname,
      port: this.o.port,
      socket: {
        open: (s) => this.opened(s),
        data: (s, chunk) => this.received(s, chunk),
        close: (s) => this.closed(s),
        error: (s, err) => this.p.log.debug({ ip: s.data?.ip, err: String(err) }, 'hibernation connection error'),
      },
    });
    this.sweep = setInterval(() => {
      const now = Date.now();
      this.closeSilent(now);
      this.asleep.sweep(now);
      this.collected(this.collector.quiet());
    }, this.o.sweepMs ?? HIBERNATION_SWEEP_MS);
    this.sweep.unref?.();
  }

  /** Send `TOWAKEUP` to the device if this node holds its link: whether it was sent. */
  wake(deviceId: string): boolean {
    const s = this.byActor.get(puActorId(deviceId));
    if (!s) return false;
    s.write(HIBERNATION_WAKE_BYTES);
    this.p.log.info({ device: deviceId, link: s.data.linkId }, 'TOWAKEUP sent');
    return true;
  }

  /** Whether this node holds a link of the device. */
  holds(deviceId: string): boolean {
    return this.byActor.has(puActorId(deviceId));
  }

  /**
   * A hibernation event for a pu this node owns, relayed by the node holding the link (routes/cluster.routes.ts): a
   * heartbeat on the link the pu sleeps on is kept, anything else goes to the pu.
   */
  relayed(deviceId: string, event: HibernationRelay['event']): void {
    const id = puActorId(deviceId);
    if (event.type === 'hibernation.heartbeat' && this.asleep.heartbeat(id, linkKey(event.linkId), Date.now())) return;
    this.p.host.send(id, event);
  }

  /** Another node took these actors over (its device logged in there): what this node kept of them is stale. */
  released(actorIds: readonly string[]): void {
    this.asleep.forget(actorIds);
  }

  /** Stop listening and close every connection. */
  stop(): void {
    clearInterval(this.sweep);
    this.listener?.stop(true);
    this.listener = undefined;
  }

  private opened(s: LinkSocket): void {
    const ip = s.remoteAddress;
    let address = this.perAddress.get(ip);
    if (!address) this.perAddress.set(ip, (address = new Address(ip)));
    const fromAddress = address.links++;
    s.data = new Link(newLinkNumber(), address, Date.now());
    this.fresh.add(s);
    if (++this.open > HIBERNATION_CONNECTIONS_MAX || fromAddress >= HIBERNATION_CONNECTIONS_PER_ADDRESS) {
      this.p.rateLog.warn(ip, { ip, connections: this.open, fromAddress: fromAddress + 1 }, 'hibernation connection refused: too many connections');
      s.end();
    }
  }

  private closed(s: LinkSocket): void {
    const link = s.data;
    if (!link || link.closed) return;
    link.closed = true;
    this.open--;
    this.fresh.delete(s);
    if (--link.address.links === 0) this.perAddress.delete(link.ip); // its last link: the address leaves the map
    if (link.actorId && this.byActor.get(link.actorId) === s) {
      this.byActor.delete(link.actorId);
      if (link.lastValidAt !== undefined) this.asleep.remember(link.actorId, link.lastValidAt); // its link's heartbeat, kept by the link until now
      this.tell(link.actorId, { type: 'hibernation.linkClosed', linkId: link.linkId });
    }
  }

  private received(s: LinkSocket, chunk: Uint8Array): void {
    const link = s.data;
    if (link.closed) return;
    const now = Date.now();
    if (!link.take(chunk.length))
      return this.refuse(s, `over its byte budget (${HIBERNATION_BYTE_BUDGET.ratePerS} B/s, burst ${HIBERNATION_BYTE_BUDGET.burst} B)`, true);
    // The usual read: one whole heartbeat, parsed where it lies (no framer, no copy).
    if (!link.framer && chunk.length === HIBERNATION_HEARTBEAT_BYTES) {
      const whole = parseHeartbeat(chunk);
      if (whole.ok) return void this.heartbeat(s, whole.value.macid, whole.value.token, now);
    }
    const framer = (link.framer ??= new HeartbeatFramer());
    const skipped = framer.skipped;
    for (const frame of framer.push(chunk)) {
      if (frame.ok) void this.heartbeat(s, frame.value.macid, frame.value.token, now);
      else this.refuse(s, frame.error);
    }
    if (framer.skipped > skipped) this.refuse(s, `${framer.skipped - skipped} bytes that begin no heartbeat`, framer.skipped > HIBERNATION_GARBAGE_MAX_BYTES);
  }

  private async heartbeat(s: LinkSocket, macid: string, token: string, now: number): Promise<void> {
    const link = s.data;
    const proof = proofOf(macid, token);
    if (link.actorId && link.proof === proof) return void this.accept(s, link.actorId, now, false);
    // A new identity or token on this link: checked (a database read once per link and identity, not per heartbeat),
    // then taken in (its pu loaded, its transition committed), at most HIBERNATION_CHECKS_MAX at once: the slot is
    // held until the pu has taken the heartbeat, so a crowd reconnecting at once waits as links, not as loaded actors.
    if (link.checking || this.checks >= HIBERNATION_CHECKS_MAX) return this.hold(s, macid, token, now);
    link.checking = true;
    this.checks++;
    try {
      const found = await this.p.findDevice(macid).catch(() => undefined);
      if (!found) return this.refuse(s, `heartbeat of unknown device ${macid}`);
      if (!isHbToken(this.p.key, found.id, token)) return this.refuse(s, `heartbeat of ${found.id} with a wrong hb_token`);
      const proven = puActorId(found.id);
      if (link.actorId && link.actorId !== proven) return this.refuse(s, 'heartbeat of another device on the same link', true);
      link.actorId ??= proven;
      link.proof = proof;
      await this.accept(s, link.actorId, now, true);
      this.collected(this.collector.takenIn());
    } finally {
      link.checking = false;
      this.checks--;
      if (link.held) this.hold(s, link.held.macid, link.held.token, link.held.at);
      queueMicrotask(() => this.nextChecks());
    }
  }

  /** A proven heartbeat of the pu `actorId` on the link: kept here when the pu sleeps on it, else told to the pu (awaited when `wait`). */
  private accept(s: LinkSocket, actorId: string, now: number, wait: boolean): Promise<void> | undefined {
    const link = s.data;
    if (link.closed) return; // closed while its identity was looked up
    if (link.lastValidAt === undefined) this.fresh.delete(s); // swept from now on as its device's link
    link.lastValidAt = now;
    const held = this.byActor.get(actorId);
    if (held !== s) {
      this.byActor.set(actorId, s);
      held?.end(); // the device reconnected: its old link is stale
    }
    // The pu sleeps on this link: nothing for it to log, the heartbeat is kept here (asleep.ts).
    if (this.asleep.heartbeat(actorId, link.linkNo, now, true)) return;
    return this.tell(actorId, { type: 'hibernation.heartbeat', linkId: link.linkId, node: this.p.nodeId(), offlineAfterMs: this.o.offlineAfterMs }, wait);
  }

  /** Log a collection of the take-ins' heap (takein-gc.ts), if one was made. */
  private collected(ms: number | undefined): void {
    if (ms !== undefined) this.p.log.debug({ ms: Math.round(ms), collections: this.collector.collections }, 'hibernation take-ins: heap collected');
  }

  /** Keep a link's newest heartbeat until its identity can be checked, and put the link in line once. */
  private hold(s: LinkSocket, macid: string, token: string, at: number): void {
    const link = s.data;
    link.held = { macid, token, at };
    if (link.checking || link.queued) return; // its check in flight puts it in line when it ends
    link.queued = true;
    this.waiting.push(s);
  }

  /** Start the waiting identity checks there is room for, in the order their links came. */
  private nextChecks(): void {
    while (this.checks < HIBERNATION_CHECKS_MAX && this.waiting.length > 0) {
      const s = this.waiting.shift()!;
      const link = s.data;
      const held = link.held;
      link.queued = false;
      link.held = undefined;
      if (held && !link.closed) void this.heartbeat(s, held.macid, held.token, held.at);
    }
  }

  /**
   * Tell the device's pu: here, or on the node that owns it (docs/cluster.md: its Vd login placed it there). Here
   * first: a pu this node holds, or loads (owned here, or by no live node: the load claims it), takes it without
   * asking where its owner is (a database read); one another live node owns refuses the load (ActorElsewhereError)
   * and the event goes to that node. `wait`: the promise settles once the pu has taken the event (its transition
   * committed) or it was relayed.
   */
  private tell(id: string, event: HibernationRelay['event'], wait = false): Promise<void> | undefined {
    const deviceId = deviceOfPu(id);
    const tellOwner = this.p.tellOwner;
    if (!wait && (!tellOwner || this.p.host.holds(id))) return void this.p.host.send(id, event);
    const lost = (err: unknown) => this.p.log.warn({ device: deviceId, event: event.type, err: String(err) }, 'hibernation event not delivered');
    return this.p.host.dispatch(id, event).then(
      () => {},
      (err) =>
        tellOwner && err instanceof ActorElsewhereError
          ? tellOwner(deviceId, event).then((remote) => void (remote || this.p.host.send(id, event)), lost)
          : lost(err),
    );
  }

  /** Drop what was refused, log it (rate-limited per address), and close a link that keeps sending bad input. */
  private refuse(s: LinkSocket, why: string, close = false): void {
    const link = s.data;
    link.refusals++;
    this.p.rateLog.warn(link.ip, { ip: link.ip, link: link.linkId, device: link.deviceId, why }, 'hibernation input refused');
    if (close || link.refusals >= HIBERNATION_REFUSALS_MAX) s.end();
  }

  /**
   * Close links without a valid heartbeat in time: a first one within HIBERNATION_FIRST_HEARTBEAT_MS, then within the
   * offline time. A link in line for its identity check, or being checked, is not silent: its heartbeat came, and the
   * wait is the server's (a crowd taken in on a slow database took longer than the first-heartbeat time, and the
   * links at the end of the line were closed, to reconnect at the end of it again).
   */
  private closeSilent(now: number): void {
    const firstMs = this.o.firstHeartbeatMs ?? HIBERNATION_FIRST_HEARTBEAT_MS;
    for (const s of this.fresh) {
      const link = s.data;
      if (!link.queued && !link.checking && now - link.openedAt >= firstMs) s.end();
    }
    for (const s of this.byActor.values()) {
      const link = s.data;
      if (!link.queued && !link.checking && now - link.lastValidAt! >= this.o.offlineAfterMs) s.end();
    }
  }
}
