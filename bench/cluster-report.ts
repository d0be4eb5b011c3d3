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

/** What the projection is computed from. */
export interface ProjectionInput {
  /** Node CPU per keepalive, µs (2 nodes, the real interval: their fixed work included). */
  nodeUsPerKa: number;
  /** This database's PostgreSQL CPU per keepalive, µs (same window). */
  pgUsPerKa: number;
  /** Keepalive interval, seconds. */
  intervalS: number;
  /** The database's commit capacity: events/s at saturation and its CPU per event, µs. */
  capacity: { eventsPerS: number; pgUsPerEvent: number };
  /** Cores of a node (default: this machine's). */
  cores?: number;
}

/** The projection as printed text: the model in one line, a table by cluster size, and where the database binds. */
export function projection(p: ProjectionInput): string {
  const cores = p.cores ?? navigator.hardwareConcurrency;
  const kaPerPuS = 1 / p.intervalS;
  const byCpu = Math.floor((cores * CPU_SHARE * US_PER_S) / (p.nodeUsPerKa * kaPerPuS));
  const pusPerNode = Math.min(PUS_PER_PROCESS, byCpu);
  // The database's work per PU in committed events' worth: its CPU for the keepalives over its CPU per event, plus
  // the events a busy PU writes.
  const eventsPerPuS = BUSY_PU_EVENTS_PER_DAY / S_PER_DAY;
  const dbPerPuS = (p.pgUsPerKa * kaPerPuS) / p.capacity.pgUsPerEvent + eventsPerPuS;
  const pusAtLimit = p.capacity.eventsPerS / dbPerPuS;
  const rows = NODE_COUNTS.map((n) => {
    const pus = n * pusPerNode;
    return {
      nodes: n,
      PUs: pus,
      'keepalives/s': Math.round(pus * kaPerPuS),
      'db events/s (equiv.)': Math.round(pus * dbPerPuS),
      'db load %': (100 * pus * dbPerPuS) / p.capacity.eventsPerS,
    };
  });
  return [
    `projection at a ${p.intervalS} s keepalive: a node holds ${pusPerNode.toLocaleString()} PUs (${CPU_SHARE * 100} % of ${cores} cores at ${p.nodeUsPerKa.toFixed(1)} µs per keepalive allows ${byCpu.toLocaleString()}; one process holds ${PUS_PER_PROCESS.toLocaleString()}); ` +
      `a PU costs the database ${(p.pgUsPerKa * kaPerPuS).toFixed(2)} µs/s of CPU for its keepalives (${p.pgUsPerKa.toFixed(2)} µs each) = ${((p.pgUsPerKa * kaPerPuS) / p.capacity.pgUsPerEvent).toFixed(4)} events' worth at ${p.capacity.pgUsPerEvent.toFixed(2)} µs per committed event, plus ${eventsPerPuS.toFixed(5)} events/s of its own (a busy PU, ${BUSY_PU_EVENTS_PER_DAY} a day)`,
    table(rows),
    `the database (${Math.round(p.capacity.eventsPerS).toLocaleString()} events/s measured) becomes the limit at ~${Math.round(pusAtLimit).toLocaleString()} PUs: ${(pusAtLimit / pusPerNode).toFixed(1)} nodes of ${pusPerNode.toLocaleString()} PUs`,
  ].join('\n');
}
