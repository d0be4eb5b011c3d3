/**
 * The PostgreSQL client (db/client.ts).
 * The pool prepares drizzle's statements (db/client.ts, PG_PREPARE_PARAMS_MAX): one round trip each, pipelined, instead
 * of postgres.js's two for an unnamed statement with parameters. Seen from the server: the session's named statements.
 */
import { describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { openDb, PG_PREPARE_PARAMS_MAX } from '../../db/client.ts';
import { createScratchDatabase } from '../../db/scratch.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { until } from '../helpers/wait.ts';

/** A fresh database is migrated first (seconds on a busy machine). */
const MIGRATE_TIMEOUT_MS = 30_000;
/** The session's prepared statements whose text contains `marker`. */
const preparedWith = (marker: string) =>
  sql`SELECT statement FROM pg_prepared_statements WHERE statement LIKE ${`%${marker}%`} AND statement NOT LIKE '%pg_prepared_statements%'`;

describe('prepared statements on PostgreSQL', () => {
  it.skipIf(!TEST_PG_URL)(
    'prepares a statement with parameters, up to the bound, and keeps its answers',
    async () => {
      const scratch = await createScratchDatabase(TEST_PG_URL!, 'h627_prepared');
      await (await openDb({ url: scratch.url })).close(); // migrated (it reserves a connection of its own)
      // One connection: the statements asked for and the catalog read are on the same session.
      const db = await openDb({ url: scratch.url, poolSize: 1, migrate: false });
      try {
        const small = await db.rows<{ x: number }>(sql`SELECT ${41}::int + 1 AS x /* small-marker */`);
        expect(small).toEqual([{ x: 42 }]);
        expect(await db.rows(preparedWith('small-marker'))).toHaveLength(1);
        // Past the bound: unnamed, as drizzle asks (the cache per connection stays finite).
        const many = Array.from({ length: PG_PREPARE_PARAMS_MAX + 1 }, (_, i) => i);
        const big = await db.rows<{ n: number }>(
          sql`SELECT cardinality(ARRAY[${sql.join(
            many.map((i) => sql`${i}::int`),
            sql`, `,
          )}]) AS n /* big-marker */`,
        );
        expect(big).toEqual([{ n: PG_PREPARE_PARAMS_MAX + 1 }]);
        expect(await db.rows(preparedWith('big-marker'))).toHaveLength(0);
      } finally {
        await db.close();
        await scratch.drop();
      }
    },
    MIGRATE_TIMEOUT_MS,
  );
});

describe('a database away', () => {
  it.skipIf(!TEST_PG_URL)(
    'is noted from the first statement that fails for want of it, and forgotten at the first that succeeds',
    async () => {
      const scratch = await createScratchDatabase(TEST_PG_URL!, 'h627_away');
      const db = await openDb({ url: scratch.url });
      const admin = await openDb({ url: TEST_PG_URL!, migrate: false, poolSize: 1 });
      const name = new URL(scratch.url).pathname.slice(1);
      try {
        await db.rows(sql`SELECT 1`);
        expect(db.awaySince()).toBeNull();
        await admin.rows(sql.raw(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`));
        await admin.rows(sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${name}`);
        const before = Date.now();
        await expect(db.rows(sql`SELECT 1`)).rejects.toThrow();
        expect(db.awaySince()).toBeGreaterThanOrEqual(before);
        await admin.rows(sql.raw(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`));
        await until(
          () =>
            db.rows(sql`SELECT 1`).then(
              () => true,
              () => false,
            ),
          (ok) => ok,
        );
        expect(db.awaySince()).toBeNull();
      } finally {
        await admin.rows(sql.raw(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`)).catch(() => {});
        await db.close();
        await admin.close();
        await scratch.drop();
      }
    },
    MIGRATE_TIMEOUT_MS,
  );
});
