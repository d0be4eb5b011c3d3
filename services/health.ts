/** What `/healthz` reports: whether the database answers a trivial query in time. */
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { dbErrorSummary, withinMs } from '../db/errors.ts';
import type { Logger } from '../lib/log.ts';

/**
 * Longest /healthz waits for the database's `SELECT 1` (platform's choice): a healthy one answers
 * in a millisecond; a probe should learn of one that does not well before its own timeout.
 */
export const HEALTH_DB_TIMEOUT_MS = 1000;

/** The health of one platform process. */
export interface Health {
  ok: boolean;
  /** Which database the process runs on. */
  db: Db['kind'];
  /** Why not ok, when it is not. */
  error?: string;
}

/** What the health check uses. */
export interface HealthDeps {
  db: Pick<Db, 'rows' | 'kind'>;
  log: Logger;
  /** The node's membership (services/cluster/membership.ts): a node without its lease is not healthy. */
  membership?: { health(): { ok: boolean; reason?: string } };
}

/** Check the database; an unreachable one is logged and reported, never thrown. */
export async function checkHealth({ db, log, membership }: HealthDeps): Promise<Health> {
  let dbError: string | undefined;
  try {
    await withinMs(db.rows(sql`SELECT 1`), HEALTH_DB_TIMEOUT_MS);
  } catch (err) {
    log.warn({ err: dbErrorSummary(err) }, 'health check: database unreachable');
    dbError = 'database unreachable';
  }
  // Read after the database's answer (or its timeout): a lease that lapsed meanwhile is reported. The lease comes
  // first: a node cut off from the database is unhealthy because it may not write, which the database alone does not say.
  const m = membership?.health();
  const lease = m && !m.ok ? (m.reason ?? 'not a member of the cluster') : undefined;
  const error = [lease, dbError].filter((e) => e !== undefined).join('; ');
  return error ? { ok: false, db: db.kind, error } : { ok: true, db: db.kind };
}
