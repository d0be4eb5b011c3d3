/** The one classification of database failures (db/errors.ts): unavailable, retry, or the statement's fault. */
import { describe, expect, it } from 'bun:test';
import { PGlite } from '@electric-sql/pglite';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgliteTemplate } from '../helpers/db.ts';
import { pgClient } from '../../db/client.ts';
import { DatabaseUnavailableError, dbErrorSummary, isDatabaseUnavailable, isTransientDatabaseError, withinMs } from '../../db/errors.ts';

/** An error as postgres.js reports a server's refusal. */
const pgError = (code: string, message = 'server said no') => Object.assign(new Error(message), { name: 'PostgresError', code });
/** An error as postgres.js or a socket reports a lost connection. */
const connError = (code: string) => Object.assign(new Error(`write ${code} 127.0.0.1:5432`), { code, errno: code });
/** Drizzle's wrapping of a driver error: the SQL in the message, the driver's error in `cause`. */
const drizzled = (cause: unknown) => Object.assign(new Error('Failed query: SELECT 1\nparams: '), { cause });

/** Longest the closed-PGlite case may take: making the migrated template, then opening a copy. */
const PGLITE_OPEN_MS = 60_000;

describe('isDatabaseUnavailable', () => {
  it('says yes to a lost, refused or timed-out connection, whatever the driver calls it', () => {
    for (const code of [
      'ECONNREFUSED',
      'ECONNRESET',
      'EPIPE',
      'ETIMEDOUT',
      'CONNECTION_CLOSED',
      'CONNECTION_DESTROYED',
      'CONNECTION_ENDED',
      'CONNECT_TIMEOUT',
    ]) {
      expect({ code, unavailable: isDatabaseUnavailable(connError(code)) }).toEqual({ code, unavailable: true });
    }
  });

  it('says yes to the server conditions of an outage: connection exceptions, shutdowns, too many connections, cannot connect now', () => {
    for (const code of ['08006', '08001', '08P01', '57P01', '57P02', '57P03', '53300', '53100', '58030', '3D000', '25006', '28P01']) {
      expect({ code, unavailable: isDatabaseUnavailable(pgError(code)) }).toEqual({ code, unavailable: true });
    }
  });

  it('takes 55000 for an outage only when the database is not accepting connections', () => {
    expect(isDatabaseUnavailable(pgError('55000', 'database "h627" is not currently accepting connections'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('55000', 'currval of sequence "s" is not yet defined in this session'))).toBe(false);
  });

  it("looks through Drizzle's wrapping to the driver's error", () => {
    expect(isDatabaseUnavailable(drizzled(pgError('55000', 'database "x" is not currently accepting connections')))).toBe(true);
    expect(isDatabaseUnavailable(drizzled(connError('ECONNRESET')))).toBe(true);
    expect(isDatabaseUnavailable(drizzled(pgError('23505')))).toBe(false);
  });

  it("says no to what is the statement's or the data's fault, and to errors that are not the database's", () => {
    for (const e of [
      pgError('23505'),
      pgError('22P05'),
      pgError('42P01'),
      pgError('40001'),
      new Error('boom'),
      new TypeError('x is undefined'),
      undefined,
      null,
      'text',
    ]) {
      expect(isDatabaseUnavailable(e)).toBe(false);
    }
  });

  it('says yes to its own error (a query past its time bound, a commit past its wait bound)', () => {
    expect(isDatabaseUnavailable(new DatabaseUnavailableError())).toBe(true);
  });

  it('recognises a real refused connection from postgres.js', async () => {
    const sql = pgClient('postgres://postgres@127.0.0.1:1/none', { max: 1, connect_timeout: 2, onnotice: () => {} });
    const err = await sql`SELECT 1`.then(
      () => undefined,
      (e: unknown) => e,
    );
    await sql.end({ timeout: 0 });
    expect(err).toBeDefined();
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  // the template is migrated on first use, and PGlite opens in seconds on a loaded machine: not bun's default 5 s
  it(
    'recognises a closed PGlite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'h627-closed-pglite-'));
      cpSync(await pgliteTemplate(), dir, { recursive: true }); // a migrated copy opens in far less time than a new one
      const db = new PGlite(dir);
      await db.waitReady;
      await db.close();
      const err = await db.query('SELECT 1').then(
        () => undefined,
        (e: unknown) => e,
      );
      rmSync(dir, { recursive: true, force: true });
      expect(isDatabaseUnavailable(err)).toBe(true);
    },
    PGLITE_OPEN_MS,
  );
});

describe('isTransientDatabaseError', () => {
  it('retries an outage and a serialization failure or deadlock, never a data error', () => {
    expect(isTransientDatabaseError(connError('ECONNRESET'))).toBe(true);
    expect(isTransientDatabaseError(pgError('40001'))).toBe(true);
    expect(isTransientDatabaseError(drizzled(pgError('40P01')))).toBe(true);
    expect(isTransientDatabaseError(pgError('23505'))).toBe(false);
    expect(isTransientDatabaseError(pgError('22P05'))).toBe(false);
    expect(isTransientDatabaseError(new Error('no code'))).toBe(false);
  });
});

describe('withinMs', () => {
  it('passes an answer through, and turns silence past the bound into DatabaseUnavailableError', async () => {
    expect(await withinMs(Promise.resolve(7), 50)).toBe(7);
    const silent = new Promise<never>(() => {});
    const err = await withinMs(silent, 20).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it('passes a failure through as it is', async () => {
    const e = pgError('23505');
    expect(
      await withinMs(Promise.reject(e), 50).then(
        () => undefined,
        (x: unknown) => x,
      ),
    ).toBe(e);
  });
});

describe('dbErrorSummary', () => {
  it("gives the driver's code and words, never the statement and parameters Drizzle wraps them in", () => {
    const wrapped = Object.assign(new Error('Failed query: select * from sessions where token_hash = $1\nparams: secret-hash'), {
      cause: pgError('55000', 'database "x" is not currently accepting connections'),
    });
    expect(dbErrorSummary(wrapped)).toBe('55000: database "x" is not currently accepting connections');
    expect(dbErrorSummary(new Error('first line\nparams: secret'))).toBe('first line');
  });
});
