/**
 * The database client: postgres.js when DATABASE_URL is set, embedded PGlite otherwise.
 * Both run the same drizzle-kit migrations and the same SQL.
 */
import { drizzle as drizzlePg } from 'drizzle-orm/postgres-js';
import { migrate as migratePg } from 'drizzle-orm/postgres-js/migrator';
import { drizzle as drizzleLite } from 'drizzle-orm/pglite';
import { migrate as migrateLite } from 'drizzle-orm/pglite/migrator';
import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { PGlite } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as schema from './schema.ts';
import { isDatabaseUnavailable } from './errors.ts';

/** Folder of the committed SQL migrations. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));
/** Connections in the postgres.js pool: one for the group committer, the rest for reads and API writes. */
export const PG_POOL_SIZE = 8;
/**
 * Longest wait before a pool connection that failed connects again, seconds (platform's choice).
 * postgres.js's default grows with every failure the pool has seen, to 10–20 s after seven: a
 * database back after a 20 s outage was then used only 10 s later, and the API answered 503 all
 * that time. Failed connection attempts are cheap; a database that returns is used within this.
 */
export const PG_RECONNECT_MAX_S = 1;
/** First reconnect delay after a failure, seconds; it doubles per failure up to PG_RECONNECT_MAX_S. */
export const PG_RECONNECT_MIN_S = 0.05;
/**
 * Longest a new connection may take to be established, seconds (platform's choice; postgres.js
 * waits 30): a database behind a dead network fails the queries waiting for it (503) sooner.
 */
export const PG_CONNECT_TIMEOUT_S = 10;
/**
 * Key of the session advisory lock PostgreSQL migrations run under, so that the nodes of a cluster started together on
 * a fresh database take turns (docs/cluster.md): without it two of three failed on `CREATE TABLE`. Any fixed bigint
 * nothing else locks; this one is "h627" in ASCII.
 */
export const MIGRATION_LOCK_KEY = 0x68_36_32_37;
/**
 * Most parameters of a statement the pool prepares (a named statement per connection, kept for the connection's life).
 * Drizzle asks postgres.js for unnamed statements, and postgres.js sends an unnamed statement with parameters in two
 * round trips (Parse and Describe, wait, then Bind and Execute) holding its connection meanwhile, never pipelined:
 * with a busy event loop each query cost the pool a connection for two turns, and a cluster node's login storm
 * queued every query for seconds (measured: 6,000 logins, 8 connections, a credentials read p50 3 s). Prepared,
 * a statement is one round trip and pipelines. The bound keeps the per-connection statement cache finite: texts
 * differ only by their IN-lists' lengths (no value is ever inlined in SQL text), so at most this many of each.
 */
export const PG_PREPARE_PARAMS_MAX = 64;

/**
 * A postgres.js client for a `postgres://` URL, also in libpq's form for a Unix socket:
 * `postgres://user@localhost/db?host=/var/run/postgresql` (the socket directory). postgres.js
 * would pass an unknown `host` parameter to the server as a setting, which the server refuses.
 * A PostgreSQL on the same machine costs less CPU per query over its socket than over TCP.
 */
export function pgClient(url: string, options: postgres.Options<Record<string, postgres.PostgresType>> = {}): postgres.Sql {
  const u = new URL(url);
  const socketDir = u.searchParams.get('host');
  if (socketDir?.startsWith('/')) {
    u.searchParams.delete('host');
    return postgres(u.toString(), { ...options, host: socketDir });
  }
  return postgres(url, options);
}

/** Drizzle database over either driver. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** An open database with the few operations the platform needs beyond Drizzle's query builder. */
export interface Db {
  kind: 'postgres' | 'pglite';
  orm: Database;
  /** Run raw SQL and return its rows, whichever the driver. */
  rows<T = Record<string, unknown>>(query: SQL): Promise<T[]>;
  /** Run a constant statement with `$n` parameters as a server-side prepared statement (hot paths). */
  prepared<T = Record<string, unknown>>(text: string, params: unknown[]): Promise<T[]>;
  /**
   * Since when (epoch ms) the last statements through `rows` and `prepared` failed for want of the database, or null
   * while they succeed. Always null on PGlite (it is in the process). What waits on the database only to learn where
   * to go (a forward's lookup) reads it to skip the wait.
   */
  awaySince(): number | null;
  /**
   * Do autovacuum's work where none runs: PGlite runs PostgreSQL as a single-user backend, without
   * the autovacuum launcher, so the space of deleted and updated rows (pruned history, replaced
   * actor snapshots and their TOAST) is never handed to the free space map, which only VACUUM
   * fills, and the files grow for ever. On PGlite: `VACUUM (ANALYZE)` each table of the schema in
   * turn (PGlite runs on the caller's thread: one table at a time, the event loop runs between
   * them), which also freezes old rows as PostgreSQL needs before its transaction ids wrap. On
   * PostgreSQL: nothing (its autovacuum does it), `null`.
   */
  vacuum(): Promise<{ tables: number; ms: number } | null>;
  close(): Promise<void>;
}

/** Apply the migrations holding MIGRATION_LOCK_KEY on a connection of its own; the next node finds them applied. */
async function migrateLocked(client: postgres.Sql, orm: Database): Promise<void> {
  const lock = await client.reserve();
  try {
    await lock`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migratePg(orm as never, { migrationsFolder: MIGRATIONS_DIR });
  } finally {
    await lock`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {}); // a lost connection released it
    lock.release();
  }
}

/**
 * The client as drizzle is given it: statements with at most PG_PREPARE_PARAMS_MAX parameters prepared. PostgreSQL
 * then picks a generic plan only where its cost is no worse than the custom ones' (`plan_cache_mode` auto). Forcing
 * custom plans was measured worse: the group commit's statement (prepared always) ran for up to 25 s of CPU in a
 * failover's login storm, planned afresh around its JSON parameters each time, against at most 5 s with auto.
 */
function preparing(client: postgres.Sql): postgres.Sql {
  const unsafe: postgres.Sql['unsafe'] = (text, params, opts) =>
    client.unsafe(text, params, { ...opts, prepare: (params?.length ?? 0) <= PG_PREPARE_PARAMS_MAX });
  return new Proxy(client, { get: (target, key, receiver) => (key === 'unsafe' ? unsafe : Reflect.get(target, key, receiver)) });
}

/** Open (and migrate) the database: PostgreSQL at `url`, or PGlite in `pgliteDir`. */
export async function openDb(opts: { url?: string; pgliteDir?: string; migrate?: boolean; poolSize?: number }): Promise<Db> {
  let db: Db;
  if (opts.url) {
    const client = pgClient(opts.url, {
      max: opts.poolSize ?? PG_POOL_SIZE,
      backoff: (retries: number) => Math.min(PG_RECONNECT_MAX_S, PG_RECONNECT_MIN_S * 2 ** retries),
      connect_timeout: PG_CONNECT_TIMEOUT_S,
      onnotice: () => {},
      // Short statements only: PostgreSQL's JIT compiles a plan whose *estimated* cost is high, which a tiny
      // table never analyzed yet makes of a sub-millisecond statement (the cluster's adoption round: 260 ms of
      // compiling for 0.4 ms of work, measured). Compiling pays only for long analytic queries, which the platform
      // does not run.
      connection: { jit: 'off' },
      // int8 as a JS number, as PGlite returns it: our bigints are sequence numbers and epoch ms.
      types: { int8: { to: 20, from: [20], serialize: (v: number) => String(v), parse: (v: string) => Number(v) } },
    });
    const orm = drizzlePg(preparing(client), { schema }) as unknown as Database;
    let awaySince: number | null = null;
    const watched = async <T>(work: Promise<unknown>): Promise<T[]> => {
      try {
        const rows = (await work) as T[];
        awaySince = null;
        return rows;
      } catch (err) {
        if (isDatabaseUnavailable(err)) awaySince ??= Date.now();
        throw err;
      }
    };
    db = {
      kind: 'postgres',
      orm,
      rows: <T>(q: SQL) => watched<T>(orm.execute(q)),
      prepared: <T>(text: string, params: unknown[]) => watched<T>(client.unsafe(text, params as never[], { prepare: true })),
      awaySince: () => awaySince,
      vacuum: async () => null,
      close: () => client.end({ timeout: 5 }),
    };
    if (opts.migrate !== false) await migrateLocked(client, orm);
  } else {
    if (opts.pgliteDir) mkdirSync(opts.pgliteDir, { recursive: true });
    const client = opts.pgliteDir ? new PGlite(opts.pgliteDir) : new PGlite();
    await client.waitReady;
    const orm = drizzleLite(client, { schema }) as unknown as Database;
    db = {
      kind: 'pglite',
      orm,
      rows: async <T>(q: SQL) => ((await orm.execute(q)) as unknown as { rows: T[] }).rows,
      prepared: async <T>(text: string, params: unknown[]) => (await client.query<T>(text, params)).rows,
      awaySince: () => null,
      vacuum: async () => {
        const t0 = performance.now();
        const tables = await client.query<{ name: string }>(
          `SELECT quote_ident(schemaname) || '.' || quote_ident(relname) AS name FROM pg_stat_user_tables ORDER BY relname`,
        );
        for (const { name } of tables.rows) {
          await client.exec(`VACUUM (ANALYZE) ${name}`);
          await new Promise((resolve) => setImmediate(resolve)); // PGlite answers within microtasks: let sockets and timers in
        }
        return { tables: tables.rows.length, ms: performance.now() - t0 };
      },
      close: () => client.close(),
    };
    if (opts.migrate !== false) await migrateLite(orm as never, { migrationsFolder: MIGRATIONS_DIR });
  }
  return db;
}
