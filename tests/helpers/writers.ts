/**
 * The event log's own account of who wrote what (docs/cluster.md): every event row names its writer
 * (`<node>#<epoch>`). One owner per actor holds when, for every actor, the writers of its events,
 * in seq order, never go back to a writer that another had followed (A, A, B, B, C — never A, B, A).
 * A device that moves back to a node it left (same epoch) legitimately shows A, B, A: tests that use
 * this check do not move devices back and forth.
 */
import { pgClient } from '../../db/client.ts';

/** An actor whose log shows a writer that wrote again after another had taken over. */
export interface TwoWriters {
  actorId: string;
  /** The writers in seq order, consecutive repeats folded: `['n1#1', 'n2#1', 'n1#1']`. */
  writers: string[];
}

/** Every actor of the database at `url` whose log shows two writers interleaved (none: one owner per actor held). */
export async function interleavedWriters(url: string): Promise<TwoWriters[]> {
  const sql = pgClient(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql<{ actor_id: string; writer: string | null }[]>`
      SELECT actor_id, writer FROM actor_events ORDER BY actor_id, seq`;
    const runs = new Map<string, string[]>();
    for (const r of rows) {
      const w = r.writer ?? '(none)';
      const list = runs.get(r.actor_id) ?? [];
      if (list.at(-1) !== w) list.push(w);
      runs.set(r.actor_id, list);
    }
    const bad: TwoWriters[] = [];
    for (const [actorId, writers] of runs) if (new Set(writers).size !== writers.length) bad.push({ actorId, writers });
    return bad;
  } finally {
    await sql.end();
  }
}
