/**
 * The test's TCP proxy (tests/helpers/tcp-proxy.ts) in front of PostgreSQL: it forwards, a cut is silence (a query
 * neither answers nor fails), a restore delivers what waited, a reset drops the connections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { pgClient } from '../../db/client.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { CLUSTER_SKIP_REASON } from '../helpers/cluster.ts';

/** How long a query through a cut link is watched for an answer that must not come. */
const SILENCE_MS = 1_500;

let proxy: TcpProxy;

describe.skipIf(!TEST_PG_URL)(`a TCP proxy in front of PostgreSQL (${CLUSTER_SKIP_REASON})`, () => {
  beforeAll(async () => {
    const u = new URL(TEST_PG_URL!);
    proxy = await startTcpProxy({ host: u.hostname, port: Number(u.port || 5432) });
  });
  afterAll(() => proxy?.close());

  it('forwards, keeps a query silent while cut, and answers it once restored', async () => {
    const sql = pgClient(proxy.via(TEST_PG_URL!), { max: 1, onnotice: () => {} });
    try {
      expect((await sql`SELECT 1 AS one`)[0]!.one).toBe(1);
      proxy.cut();
      let settled = '';
      const q = sql`SELECT 2 AS two`.then(
        (r) => (settled = `answered ${r[0]!.two}`),
        (e) => (settled = `failed ${e}`),
      );
      await Bun.sleep(SILENCE_MS);
      expect(settled).toBe(''); // silence: neither an answer nor an error
      expect(proxy.connections).toBe(1);
      proxy.restore();
      await q;
      expect(settled).toBe('answered 2');
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it('drops every connection on a reset: the client sees an error; a new connection goes through', async () => {
    const sql = pgClient(proxy.via(TEST_PG_URL!), { max: 1, onnotice: () => {} });
    const again = pgClient(proxy.via(TEST_PG_URL!), { max: 1, onnotice: () => {} });
    try {
      await sql`SELECT 1`;
      proxy.cut();
      const q = sql`SELECT pg_sleep(0)`.then(
        () => 'answered',
        () => 'failed',
      );
      await Bun.sleep(100);
      proxy.reset();
      expect(await q).toBe('failed');
      expect(proxy.connections).toBe(0);
      expect((await again`SELECT 3 AS three`)[0]!.three).toBe(3);
    } finally {
      await Promise.all([sql.end({ timeout: 1 }), again.end({ timeout: 1 })]);
    }
  });
});
