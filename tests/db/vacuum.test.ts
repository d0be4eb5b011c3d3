import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { freshDb, TEST_PG_URL, type TestDb } from '../helpers/db.ts';

/** Rows written per round, each with an event of about this many bytes (below TOAST's threshold). */
const ROWS = 2_000;
const EVENT_BYTES = 600;

let t: TestDb;
beforeAll(async () => {
  t = await freshDb();
});
afterAll(async () => {
  await t.cleanup();
});

const size = async () => Number((await t.db.rows<{ s: number }>(sql`SELECT pg_total_relation_size('actor_events')::int8 AS s`))[0]!.s);
async function writeRound(from: number): Promise<void> {
  const pad = 'x'.repeat(EVENT_BYTES);
  await t.db.rows(sql`INSERT INTO actor_events (actor_id, seq, at, machine_version, event, value, changes)
    SELECT 'lamp:vacuum', g, now(), 1, json_build_object('type', 'label', 'text', ${pad}::text), '"on"'::json, '{}'::json
    FROM generate_series(${from}::int8, ${from + ROWS - 1}::int8) AS g`);
}
const deleteAll = () => t.db.rows(sql`DELETE FROM actor_events WHERE actor_id = 'lamp:vacuum'`);

describe('Db.vacuum', () => {
  it.skipIf(Boolean(TEST_PG_URL))('on PGlite, makes the space of deleted rows reusable, so pruned history stops growing the files', async () => {
    await writeRound(1);
    const one = await size();
    // Without VACUUM (PGlite has no autovacuum), deleted rows' space is never reused: the table doubles.
    await deleteAll();
    await writeRound(ROWS + 1);
    const two = await size();
    expect(two).toBeGreaterThan(one * 1.8);
    // With it, the next round of the same size fits in the space already there.
    await deleteAll();
    const v = await t.db.vacuum();
    expect(v).not.toBeNull();
    expect(v!.tables).toBeGreaterThanOrEqual(10); // every table of the schema
    await writeRound(2 * ROWS + 1);
    expect(await size()).toBeLessThanOrEqual(two);
    expect(Number((await t.db.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM actor_events WHERE actor_id = 'lamp:vacuum'`))[0]!.n)).toBe(ROWS);
  });

  it.skipIf(!TEST_PG_URL)('on PostgreSQL, leaves the work to autovacuum', async () => {
    expect(await t.db.vacuum()).toBeNull();
  });
});
