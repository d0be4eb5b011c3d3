/**
 * What the partition and pause tests (tests/cluster/partition.test.ts, pause.test.ts) share: a two-node cluster with
 * a recording fleet, the node's row and /healthz as seen from outside, and the checks of the log afterwards (one
 * writer per actor, nothing by the lost incarnation after its successor's first event, every history replays).
 */
import { join } from 'node:path';
import { pgClient } from '../../db/client.ts';
import type { TestCluster } from '../helpers/cluster.ts';
import type { Fleet } from '../helpers/fleet.ts';
import { INSECURE, type TestPlatform } from '../helpers/platform.ts';

/** Poll period of the waits below. */
const POLL_MS = 250;
/** Longest a /healthz of a paused or cut-off node is waited for: it may never answer. */
export const HEALTH_PROBE_TIMEOUT_MS = 3_000;
const ROOT = join(import.meta.dir, '..', '..');

/** Poll `f` until it returns something other than undefined, or fail naming `what` and the last value seen. */
export async function waitFor<T>(what: string, timeoutMs: number, f: () => Promise<T | undefined>, last?: () => unknown): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last: ${JSON.stringify(last())})` : ''}`);
    await Bun.sleep(POLL_MS);
  }
}

/** A node's /healthz: its status and body, or `silent` when it does not answer in time. */
export async function health(p: TestPlatform): Promise<{ status: number; error?: string } | 'silent'> {
  try {
    const r = await fetch(`${p.url}/healthz`, { ...INSECURE, signal: AbortSignal.timeout(HEALTH_PROBE_TIMEOUT_MS) } as RequestInit);
    const body = (await r.json()) as { error?: string };
    return { status: r.status, ...(body.error ? { error: body.error } : {}) };
  } catch {
    return 'silent';
  }
}

/** A node's row in `cluster_nodes`. */
export async function nodeRow(url: string, id: string): Promise<{ epoch: number; state: string } | undefined> {
  const sql = pgClient(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ epoch: number; state: string }[]>`SELECT epoch::int AS epoch, state FROM cluster_nodes WHERE id = ${id}`;
    return row;
  } finally {
    await sql.end();
  }
}

/** The node and epoch that own each of `actorIds`. */
export async function owners(url: string, actorIds: string[]): Promise<Map<string, string>> {
  const sql = pgClient(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ id: string; owner: string }[]>`SELECT id, owner_node || '#' || owner_epoch AS owner FROM actors WHERE id = ANY(${actorIds})`;
    return new Map(rows.map((r) => [r.id, r.owner]));
  } finally {
    await sql.end();
  }
}

/**
 * Actors whose log has an event by `writer` (a lost incarnation, `<node>#<epoch>`) after the first event of another
 * writer that followed it: the lost incarnation committed after its successor. None when fencing held.
 */
export async function writesAfterSuccessor(url: string, writer: string): Promise<Array<{ actor: string; seq: number; successorFrom: number }>> {
  const sql = pgClient(url, { max: 1, onnotice: () => {} });
  try {
    return await sql<{ actor: string; seq: number; successorFrom: number }[]>`
      WITH successor AS (
        SELECT o.actor_id, min(o.seq) AS first_seq FROM actor_events o
        WHERE o.writer IS DISTINCT FROM ${writer}
          AND EXISTS (SELECT 1 FROM actor_events l WHERE l.actor_id = o.actor_id AND l.writer = ${writer} AND l.seq < o.seq)
        GROUP BY o.actor_id)
      SELECT e.actor_id AS actor, e.seq::int AS seq, s.first_seq::int AS "successorFrom"
      FROM actor_events e JOIN successor s ON s.actor_id = e.actor_id
      WHERE e.writer = ${writer} AND e.seq > s.first_seq ORDER BY e.actor_id, e.seq`;
  } finally {
    await sql.end();
  }
}

/** Events in the log written by `writer`. */
export async function eventsBy(url: string, writer: string): Promise<number> {
  const sql = pgClient(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM actor_events WHERE writer = ${writer}`;
    return row!.n;
  } finally {
    await sql.end();
  }
}

/** `bun run replay-check` against the cluster's database: its exit code and last line. */
export async function replayCheck(cluster: TestCluster): Promise<{ code: number; summary: string }> {
  const proc = Bun.spawn(['bun', 'run', 'replay-check'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: cluster.databaseUrl, DATA_DIR: cluster.sharedDir },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const out = await new Response(proc.stdout).text();
  const err = await new Response(proc.stderr).text();
  const code = await proc.exited;
  return { code, summary: `${out.trim().split('\n').at(-1) ?? ''}${code === 0 ? '' : `\n${out}\n${err}`}` };
}

/** Start recording channel 0 of each device (through `via`: forwarded to the owner) and wait until each records. */
export async function startRecording(via: TestPlatform, deviceIds: string[], timeoutMs: number): Promise<void> {
  for (const id of deviceIds) {
    const r = await via.api(`/api/devices/${id}/channels/0/recording`, { method: 'POST', body: '{}' });
    if (r.status !== 201 && r.status !== 200) throw new Error(`start recording ${id}: ${r.status} ${await r.text()}`);
  }
  for (const id of deviceIds) await waitFor(`${id} recording`, timeoutMs, async () => ((await recordingState(via, id)) === 'recording' ? true : undefined));
}

/** The state of channel 0's recording session of a device, asked of `via`. */
export async function recordingState(via: TestPlatform, id: string): Promise<string> {
  const r = await via.api(`/api/devices/${id}/channels/0/recording`);
  return r.ok ? ((await r.json()) as { state: string }).state : `HTTP ${r.status}`;
}

/** The devices of `fleet` online at node `id`. */
export const onNode = (fleet: Fleet, id: string): string[] => fleet.byNode().get(id) ?? [];

/** Media hooks of a camera that records as asked (segments are not what these tests are about). */
export const RECORDING_HOOKS = { onStartRecord: async () => ({}), onStopRecord: async () => ({}) };
