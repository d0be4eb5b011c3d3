/**
 * Test databases. With DATABASE_URL set (CI's PostgreSQL run) each caller gets a fresh database
 * on that server; without it, a fresh embedded PGlite, cloned from a migrated template so that
 * tests do not pay PGlite's first start each time.
 */
import { createScratchDatabase } from '../../db/scratch.ts';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { MIGRATIONS_DIR, openDb, type Db } from '../../db/client.ts';

/** The PostgreSQL server the tests use, when set. */
export const TEST_PG_URL = process.env.DATABASE_URL || undefined;

/** A fresh test database and how to remove it. */
export interface TestDb {
  db: Db;
  /** For a spawned platform: DATABASE_URL (postgres) or a prepared DATA_DIR (pglite). */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

function migrationsHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    h.update(f).update(readFileSync(join(MIGRATIONS_DIR, f)));
  }
  return h.digest('hex').slice(0, 12);
}

/** A migrated PGlite data directory to copy from, made once per migration set. */
export async function pgliteTemplate(): Promise<string> {
  const dir = join(tmpdir(), `h627-pglite-template-${migrationsHash()}`);
  if (existsSync(join(dir, 'PG_VERSION'))) return dir;
  const staging = `${dir}.${process.pid}.${Date.now()}`;
  const db = await openDb({ pgliteDir: staging });
  await db.close();
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another test process won the race
  }
  return dir;
}

/** A new DATA_DIR whose pg/ is a migrated PGlite (for spawned platforms). */
export async function freshDataDir(prefix = 'h627-test-'): Promise<string> {
  const dataDir = join(tmpdir(), `${prefix}${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dataDir, { recursive: true });
  if (!TEST_PG_URL) cpSync(await pgliteTemplate(), join(dataDir, 'pg'), { recursive: true });
  return dataDir;
}

/** A fresh, migrated database for one test file. */
export async function freshDb(): Promise<TestDb> {
  if (TEST_PG_URL) {
    const scratch = await createScratchDatabase(TEST_PG_URL, 'h627_t');
    const db = await openDb({ url: scratch.url });
    return {
      db,
      env: { DATABASE_URL: scratch.url },
      cleanup: async () => {
        await db.close();
        await scratch.drop();
      },
    };
  }
  const dataDir = await freshDataDir();
  const db = await openDb({ pgliteDir: join(dataDir, 'pg') });
  return {
    db,
    env: { DATA_DIR: dataDir },
    cleanup: async () => {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Open another connection to the same test database (a second writer, a restarted process). */
export async function reopen(t: TestDb): Promise<Db> {
  if (t.env.DATABASE_URL) return openDb({ url: t.env.DATABASE_URL, migrate: false });
  throw new Error('PGlite is single-process: reopen() needs PostgreSQL');
}
