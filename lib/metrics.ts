/** Prometheus metrics of one platform instance (prom-client, its own registry). */
import client from 'prom-client';
import { EVENT_LOOP_DELAY_BUCKETS_S, EVENT_LOOP_PROBE_IDLE_MS, EVENT_LOOP_PROBE_MS, probeEventLoop } from './loop-delay.ts';

/** Histogram buckets for commit batch sizes (events per statement). */
export const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 4000];
/** Histogram buckets for commit latency, seconds. */
export const COMMIT_LATENCY_BUCKETS_S = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * Longest a scrape waits for the actor counts from the database (platform's choice): past it, or
 * when the database is unavailable, the gauge keeps its last values and the scrape still answers.
 */
export const METRICS_DB_TIMEOUT_MS = 1000;

/** Actors of one type in one state, as the store counts them. */
export interface ActorCount {
  type: string;
  state_key: string;
  n: number;
}

/** Live figures read at scrape time (the composition root wires them to the services and the store). */
export interface MetricProbes {
  vdConnections(): number;
  live?(): { streams: number; viewers: number; bitrateBps: number };
  /** The actor counts, or a rejection when the database is away or slower than METRICS_DB_TIMEOUT_MS. */
  actorCounts?(): Promise<ActorCount[]>;
}

/** The platform's metrics and the hooks that feed them. */
export function createMetrics(probes?: MetricProbes) {
  const registry = new client.Registry();
  new client.Gauge({
    name: 'h627_vd_connections',
    help: 'Devices connected over Vd right now',
    registers: [registry],
    collect() {
      this.set(probes?.vdConnections() ?? 0);
    },
  });
  new client.Gauge({
    name: 'h627_actors',
    help: 'Actors by type and state',
    labelNames: ['type', 'state'],
    registers: [registry],
    async collect() {
      if (!probes?.actorCounts) return;
      let counts: ActorCount[];
      try {
        counts = await probes.actorCounts();
      } catch {
        return; // the database is away or slow: the last counts stand, and the scrape answers
      }
      this.reset();
      for (const r of counts) this.set({ type: r.type, state: r.state_key }, r.n);
    },
  });
  const live = () => probes?.live?.() ?? { streams: 0, viewers: 0, bitrateBps: 0 };
  new client.Gauge({
    name: 'h627_live_streams',
    help: 'Live streams with a publisher',
    registers: [registry],
    collect() {
      this.set(live().streams);
    },
  });
  new client.Gauge({
    name: 'h627_live_viewers',
    help: 'Viewers of live streams (SRT and WSS)',
    registers: [registry],
    collect() {
      this.set(live().viewers);
    },
  });
  new client.Gauge({
    name: 'h627_live_ingest_bitrate_bps',
    help: "Sum of the live streams' ingest bit rates",
    registers: [registry],
    collect() {
      this.set(live().bitrateBps);
    },
  });
  const events = new client.Counter({ name: 'h627_events_persisted_total', help: 'Actor events appended to the event log', registers: [registry] });
  const batches = new client.Histogram({
    name: 'h627_commit_batch_events',
    help: 'Events per group-commit statement',
    buckets: BATCH_SIZE_BUCKETS,
    registers: [registry],
  });
  const actorsPerBatch = new client.Histogram({
    name: 'h627_commit_batch_actors',
    help: 'Actor rows per group-commit statement',
    buckets: BATCH_SIZE_BUCKETS,
    registers: [registry],
  });
  const latency = new client.Histogram({
    name: 'h627_commit_latency_seconds',
    help: 'Duration of one group-commit statement',
    buckets: COMMIT_LATENCY_BUCKETS_S,
    registers: [registry],
  });
  const loopDelay = new client.Histogram({
    name: 'h627_event_loop_delay_seconds',
    help: `How late a ${EVENT_LOOP_PROBE_MS} ms probe ran (${EVENT_LOOP_PROBE_IDLE_MS} ms while the process is idle): the longest the event loop served no one`,
    buckets: EVENT_LOOP_DELAY_BUCKETS_S,
    registers: [registry],
  });
  const stopProbe = probeEventLoop((s) => loopDelay.observe(s));
  /** The host's commit hook (actors/host/committer.ts CommitMetrics). */
  const commit = {
    batch(n: number, actors: number, ms: number) {
      events.inc(n);
      batches.observe(n);
      actorsPerBatch.observe(actors);
      latency.observe(ms / 1000);
    },
  };
  return { registry, commit, client, stop: stopProbe };
}

/** A platform's metrics. */
export type Metrics = ReturnType<typeof createMetrics>;
