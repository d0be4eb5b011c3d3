/**
 * Rows written and read together (db/batched.ts): the writes of one turn of the event loop share one statement; a row
 * the database refuses fails alone, its neighbours are written; reads of several keys share one statement and each
 * key gets its own rows. PGlite, or PostgreSQL with DATABASE_URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { batchedRead, batchedWrite } from '../../db/batched.ts';
import type { Db } from '../../db/client.ts';
import { freshDb, type TestDb } from '../helpers/db.ts';

const ALARMS_SQL = `INSERT INTO alarms (id, device_id, channel, type, state, "desc", device_timestamp)
  SELECT t.id, t.device_id, 0, 3, 'start', '', 0 FROM jsonb_to_recordset($1::text::jsonb) AS t(id text, device_id text)`;
const BY_DEVICE_SQL = `SELECT id, device_id FROM alarms WHERE device_id = ANY(ARRAY(SELECT json_array_elements_text($1::text::json)))`;

describe('batched statements', () => {
  let t: TestDb;
  let statements = 0;
  let counted: Pick<Db, 'prepared'>;

  beforeAll(async () => {
    t = await freshDb();
    counted = { prepared: (text, params) => (statements++, t.db.prepared(text, params)) };
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('writes what is asked in one turn in one statement, and a refused row fails alone', async () => {
    const write = batchedWrite<{ id: string; device_id: string }>(counted, ALARMS_SQL);
    await write({ id: 'a-taken', device_id: 'CAM-1' });
    statements = 0;
    const rows = Array.from({ length: 30 }, (_, i) => ({ id: `a-${i}`, device_id: `CAM-${i % 3}` }));
    const results = await Promise.allSettled([...rows.map(write), write({ id: 'a-taken', device_id: 'CAM-1' })]);
    expect(results.slice(0, 30).every((r) => r.status === 'fulfilled')).toBe(true);
    const refused = results[30] as PromiseRejectedResult;
    expect(refused.status).toBe('rejected');
    expect(String(refused.reason)).toMatch(/duplicate key|unique/i);
    // one batch refused, then each of its 31 rows on its own
    expect(statements).toBe(1 + 31);
    const stored = await t.db.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM alarms WHERE id LIKE 'a-%'`);
    expect(stored[0]?.n).toBe(31);

    statements = 0;
    await Promise.all(rows.map((r) => write({ ...r, id: `b-${r.id}` })));
    expect(statements).toBe(1);
  });

  it('reads the rows of several keys in one statement, each key its own', async () => {
    const read = batchedRead<string, { id: string; device_id: string }>(counted, BY_DEVICE_SQL, (r) => r.device_id);
    statements = 0;
    const [cam0, cam1, none] = await Promise.all([read('CAM-0'), read('CAM-1'), read('CAM-NONE')]);
    expect(statements).toBe(1);
    expect(cam0.every((r) => r.device_id === 'CAM-0')).toBe(true);
    expect(cam0.length).toBe(20);
    expect(cam1.length).toBe(21); // with a-taken
    expect(none).toEqual([]);
  });
});
