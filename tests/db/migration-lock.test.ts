import { describe, expect, it } from 'bun:test';
import { sql } from 'drizzle-orm';
import { openDb } from '../../db/client.ts';
import { createScratchDatabase } from '../../db/scratch.ts';
import { TEST_PG_URL } from '../helpers/db.ts';

/** Nodes of a cluster started at once on a fresh database (docs/deploy.md: systemd starts them together). */
const NODES = 3;

describe('migrations on PostgreSQL', () => {
  it.skipIf(!TEST_PG_URL)('are applied once when several nodes open a fresh database at the same moment', async () => {
    const scratch = await createScratchDatabase(TEST_PG_URL!, 'h627_miglock');
    try {
      const opened = await Promise.allSettled(Array.from({ length: NODES }, () => openDb({ url: scratch.url })));
      const dbs = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      try {
        expect(opened.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).toEqual([]);
        const applied = await dbs[0]!.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
        const files = (await Array.fromAsync(new Bun.Glob('*.sql').scan(`${import.meta.dir}/../../migrations`))).length;
        expect(applied[0]!.n).toBe(files);
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
      }
    } finally {
      await scratch.drop();
    }
  });
});
