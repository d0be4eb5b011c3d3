/**
 * Rows written together: every write asked for in one turn of the event loop shares one statement. A fleet's alarms
 * and logins come by the hundred a second; a statement each was most of what the database did in a failover's login
 * storm (docs/cluster.md). The statement is one constant text, prepared, whose one parameter is the rows as a JSON
 * array (`jsonb_to_recordset($1::text::jsonb) AS t(…)` or `json_array_elements_text`): the same on both drivers.
 */
import DataLoader from 'dataloader';
import type { Db } from './client.ts';
import { isDatabaseUnavailable } from './errors.ts';

/** Rows one statement takes at most (platform's choice: each statement stays short, its parameter a few hundred KiB at most). */
export const BATCH_ROWS_MAX = 500;

/**
 * A writer of rows by `text` ($1: the rows as a JSON array). A batch the database refuses for a reason other than its
 * absence is written again row by row, so that one bad row (a device deleted meanwhile) fails alone, not its
 * neighbours; a database away fails the whole batch, each caller with the error.
 */
export function batchedWrite<R>(db: Pick<Db, 'prepared'>, text: string): (row: R) => Promise<void> {
  const loader = new DataLoader<R, void>(
    async (rows) => {
      try {
        await db.prepared(text, [JSON.stringify(rows)]);
        return rows.map(() => undefined);
      } catch (err) {
        if (rows.length === 1 || isDatabaseUnavailable(err)) return rows.map(() => err as Error);
        return Promise.all(
          rows.map((r) =>
            db.prepared(text, [JSON.stringify([r])]).then(
              () => undefined,
              (e: Error) => e,
            ),
          ),
        );
      }
    },
    { cache: false, maxBatchSize: BATCH_ROWS_MAX, batchScheduleFn: (run) => setImmediate(run) },
  );
  return (row) => loader.load(row);
}

/**
 * A reader by `text` ($1: the keys as a JSON array) whose rows name their key in `keyOf`: the rows of each key, every
 * read asked for in one turn of the event loop in one statement.
 */
export function batchedRead<K extends string, T>(db: Pick<Db, 'prepared'>, text: string, keyOf: (row: T) => K): (key: K) => Promise<T[]> {
  const loader = new DataLoader<K, T[]>(
    async (keys) => {
      const rows = await db.prepared<T>(text, [JSON.stringify(keys)]);
      const byKey = new Map<K, T[]>();
      for (const r of rows) {
        const k = keyOf(r);
        const list = byKey.get(k);
        if (list) list.push(r);
        else byKey.set(k, [r]);
      }
      return keys.map((k) => byKey.get(k) ?? []);
    },
    { cache: false, maxBatchSize: BATCH_ROWS_MAX, batchScheduleFn: (run) => setImmediate(run) },
  );
  return (key) => loader.load(key);
}

/** `make` once per database (a writer or reader kept beside it, for code that is handed the database at each call). */
export function perDatabase<D extends object, F>(make: (db: D) => F): (db: D) => F {
  const made = new WeakMap<D, F>();
  return (db) => {
    let f = made.get(db);
    if (f === undefined) made.set(db, (f = make(db)));
    return f;
  };
}
