/**
 * The cluster bench's projection (bench/cluster.bench.ts, part 4): how many nodes one PostgreSQL carries, from a
 * node's measured CPU per keepalive, PostgreSQL's measured CPU per keepalive and per committed event, and the
 * database's measured commit capacity (events/s through the actor host, bench/actors.bench.ts).
 */
import { table } from './lib.ts';

/** PUs one node process holds: the open-files limit (20,000 per process) less room for the rest (bench keepalive). */
export const PUS_PER_PROCESS = 18_000;
/** Share of a node's cores the projection fills: headroom for storms and failovers. */
const CPU_SHARE = 0.7;
/** Events a busy PU writes to its log a day (bench history: 41 rows; a quiet PU writes 1). */
const BUSY_PU_EVENTS_PER_DAY = 41;
const S_PER_DAY = 86_400;
const US_PER_S = 1e6;
/** Cluster sizes the projection prints. */
const NODE_COUNTS = [1, 2, 4, 8, 16, 32, 64];

/** One measured window, as the bench prints it. */
export interface WindowFigures {
  'keepalives/s': number;
  'nodes µs/ka': number;
  'pg µs/ka': number;
}

/** What the projection is computed from. */
export interface ProjectionInput {
  /** The windows at the real interval: every PU on one node, and the same PUs on two. */
  solo: WindowFigures;
  pair: WindowFigures;
  /** Keepalive interval, seconds. */
  intervalS: number;
  /** The database's commit capacity: events/s at saturation and its CPU per event, µs. */
  capacity: { eventsPerS: number; pgUsPerEvent: number };
  /** Cores of a node (default: this machine's). */
  cores?: number;
}

/**
 * A cost split into what a node costs by being there (heartbeats, adoption scans, directory and placement reads),
 * µs/s, and what each keepalive adds, µs: the same keepalive rate on 1 node and on 2 differs by one node's fixed
 * cost. Noise can make either negative: each is floored at 0.
 */
function split(solo: WindowFigures, pair: WindowFigures, key: 'nodes µs/ka' | 'pg µs/ka'): { perNodeUsPerS: number; perKaUs: number } {
  const soloPerS = solo[key] * solo['keepalives/s'];
  const pairPerS = pair[key] * pair['keepalives/s'];
  const perNodeUsPerS = Math.max(0, pairPerS - soloPerS);
  return { perNodeUsPerS, perKaUs: Math.max(0, (soloPerS - perNodeUsPerS) / solo['keepalives/s']) };
}

/** The projection as printed text: the model in one line, a table by cluster size, and where the database binds. */
export function projection(p: ProjectionInput): string {
  const cores = p.cores ?? navigator.hardwareConcurrency;
  const kaPerPuS = 1 / p.intervalS;
  const node = split(p.solo, p.pair, 'nodes µs/ka');
  const db = split(p.solo, p.pair, 'pg µs/ka');
  const byCpu = Math.floor((cores * CPU_SHARE * US_PER_S - node.perNodeUsPerS) / (node.perKaUs * kaPerPuS));
  const pusPerNode = Math.min(PUS_PER_PROCESS, byCpu);
  // The database's work in committed events' worth (its CPU over its CPU per event): each node's fixed work, each
  // PU's keepalives, and the events a busy PU writes.
  const eventsPerPuS = BUSY_PU_EVENTS_PER_DAY / S_PER_DAY;
  const perNode = db.perNodeUsPerS / p.capacity.pgUsPerEvent;
  const perPu = (db.perKaUs * kaPerPuS) / p.capacity.pgUsPerEvent + eventsPerPuS;
  const load = (n: number) => n * perNode + n * pusPerNode * perPu;
  const rows = NODE_COUNTS.map((n) => ({
    nodes: n,
    PUs: n * pusPerNode,
    'keepalives/s': Math.round(n * pusPerNode * kaPerPuS),
    'db events/s (equiv.)': Math.round(load(n)),
    'db load %': (100 * load(n)) / p.capacity.eventsPerS,
  }));
  const nodesAtLimit = p.capacity.eventsPerS / (perNode + pusPerNode * perPu);
  return [
    `model at a ${p.intervalS} s keepalive, from the two windows at that interval: a node costs ${(node.perNodeUsPerS / 1e4).toFixed(1)} % of a core by being there and ${node.perKaUs.toFixed(1)} µs per keepalive; ` +
      `PostgreSQL ${(db.perNodeUsPerS / 1e4).toFixed(2)} % of a core per node and ${db.perKaUs.toFixed(2)} µs per keepalive (${p.capacity.pgUsPerEvent.toFixed(2)} µs per committed event); a busy PU writes ${BUSY_PU_EVENTS_PER_DAY} events a day`,
    `a node holds ${pusPerNode.toLocaleString()} PUs (${CPU_SHARE * 100} % of ${cores} cores allows ${byCpu.toLocaleString()}; one process holds ${PUS_PER_PROCESS.toLocaleString()})`,
    table(rows),
    `the database (${Math.round(p.capacity.eventsPerS).toLocaleString()} events/s measured) becomes the limit at ~${nodesAtLimit.toFixed(1)} nodes (~${Math.round(nodesAtLimit * pusPerNode).toLocaleString()} PUs)`,
  ].join('\n');
}
