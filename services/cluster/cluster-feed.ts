/**
 * The consoles' live feed across nodes (docs/cluster.md): each node exports its own actors'
 * transitions to other nodes (`GET /api/cluster/feed`, node-signed, NDJSON), and a node with
 * console connections follows every other live node's export, one upstream per node shared by all
 * its consoles, reconnecting with backoff. What a node receives goes to its consoles only, never
 * into its own export: an export is the host's transitions, so nothing travels in a loop.
 */
import type { ActorHost, ActorView, Transition } from '../../actors/host/host.ts';
import type { Logger } from '../../lib/log.ts';
import type { ClusterDirectory, ClusterNode } from './directory.ts';
import { nodeTlsOptions, type NodeTls } from './forward.ts';
import { signNodeRequest } from './node-auth.ts';

/** Where a node exports its transitions. */
export const CLUSTER_FEED_PATH = '/api/cluster/feed';
/** How often the set of live nodes is read while consoles are connected, ms: a node that joined is followed this soon. */
export const CLUSTER_FEED_REFRESH_MS = 2_000;
/** First wait before following a node again after its export failed or ended, ms; doubles per failure. */
export const CLUSTER_FEED_BACKOFF_MIN_MS = 250;
/** Longest such wait, ms: a node back from a restart is followed again within this. */
export const CLUSTER_FEED_BACKOFF_MAX_MS = 10_000;
/** An empty line this often keeps an idle export open through idle timers, ms. */
export const CLUSTER_FEED_KEEPALIVE_MS = 15_000;

/** One line of an export. */
export interface ExportedTransition {
  t: Transition;
  view: ActorView | null;
}

/** What the cluster feed uses. */
export interface ClusterFeedDeps {
  directory: Pick<ClusterDirectory, 'liveNodes'>;
  host: Pick<ActorHost, 'subscribe' | 'peek'>;
  key: Buffer;
  log: Logger;
  selfNode(): string;
  tls: NodeTls;
}

type Deliver = (t: Transition, view: ActorView | undefined) => void;

/** Exports this node's transitions and follows the other nodes' (the EventFeed's `upstream`). */
export class ClusterFeed {
  private follows = new Map<string, { baseUrl: string; epoch: number; abort: AbortController }>();
  private deliver?: Deliver;
  private refresh?: ReturnType<typeof setInterval>;
  private readonly tlsOptions: ReturnType<typeof nodeTlsOptions>;

  constructor(private p: ClusterFeedDeps) {
    this.tlsOptions = nodeTlsOptions(p.tls);
  }

  /** Follow every other live node, handing what they export to `deliver`, until {@link stop}. */
  start(deliver: Deliver): void {
    this.deliver = deliver;
    this.sync();
    this.refresh ??= setInterval(() => this.sync(), CLUSTER_FEED_REFRESH_MS);
  }

  /** Stop following (the last console left). */
  stop(): void {
    this.deliver = undefined;
    clearInterval(this.refresh);
    this.refresh = undefined;
    for (const f of this.follows.values()) f.abort.abort();
    this.follows.clear();
  }

  /** The nodes followed now (ids). */
  get following(): string[] {
    return [...this.follows.keys()];
  }

  /**
   * This node's own transitions as NDJSON, until `signal` aborts. Only the host's: what arrived from other nodes is
   * not among them, so an export never carries a transition back.
   */
  exportStream(signal: AbortSignal): ReadableStream<Uint8Array> {
    const enc = new TextEncoder();
    let leave = () => {};
    let keepalive: ReturnType<typeof setInterval> | undefined;
    const end = () => {
      leave();
      clearInterval(keepalive);
    };
    return new ReadableStream<Uint8Array>({
      start: (ctrl) => {
        const write = (line: string) => {
          try {
            ctrl.enqueue(enc.encode(`${line}\n`));
          } catch {
            end(); // the follower left
          }
        };
        leave = this.p.host.subscribe((t) => write(JSON.stringify({ t, view: this.p.host.peek(t.actorId) ?? null } satisfies ExportedTransition)));
        keepalive = setInterval(() => write(''), CLUSTER_FEED_KEEPALIVE_MS);
        write(''); // headers go out at once: the follower knows it is connected
        signal.addEventListener('abort', end, { once: true });
      },
      cancel: end,
    });
  }

  private sync(): void {
    this.p.directory.liveNodes(this.p.selfNode()).then(
      (nodes) => {
        if (!this.deliver) return;
        const live = new Map(nodes.map((n) => [n.id, n] as const));
        for (const [id, f] of this.follows) {
          const n = live.get(id);
          if (n && n.baseUrl === f.baseUrl && n.epoch === f.epoch) continue;
          f.abort.abort(); // gone, dead, or a new incarnation: follow the new one below
          this.follows.delete(id);
        }
        for (const n of nodes) if (!this.follows.has(n.id)) this.follow(n);
      },
      (err) => this.p.log.warn({ err: String(err) }, 'cluster feed: reading the live nodes failed'),
    );
  }

  private follow(n: ClusterNode): void {
    const abort = new AbortController();
    this.follows.set(n.id, { baseUrl: n.baseUrl, epoch: n.epoch, abort });
    (async () => {
      let backoff = CLUSTER_FEED_BACKOFF_MIN_MS;
      while (!abort.signal.aborted) {
        try {
          await this.read(n, abort.signal, () => {
            backoff = CLUSTER_FEED_BACKOFF_MIN_MS;
          });
        } catch (err) {
          if (abort.signal.aborted) break;
          this.p.log.debug({ node: n.id, err: String(err), retryMs: backoff }, 'cluster feed: following a node failed');
        }
        await sleepUnless(abort.signal, backoff);
        backoff = Math.min(backoff * 2, CLUSTER_FEED_BACKOFF_MAX_MS);
      }
    })();
  }

  private async read(n: ClusterNode, signal: AbortSignal, connected: () => void): Promise<void> {
    const res = await fetch(`${n.baseUrl}${CLUSTER_FEED_PATH}`, {
      headers: signNodeRequest(this.p.key, 'GET', CLUSTER_FEED_PATH, this.p.selfNode()),
      signal,
      tls: this.tlsOptions,
    } as RequestInit);
    if (res.status !== 200 || !res.body) throw new Error(`${n.id} answered ${res.status} to ${CLUSTER_FEED_PATH}`);
    connected();
    const dec = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body) {
      buf += dec.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line) continue;
        const e = JSON.parse(line) as ExportedTransition;
        this.deliver?.(e.t, e.view ?? undefined);
      }
    }
  }
}

function sleepUnless(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
