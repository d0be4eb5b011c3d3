/**
 * User sessions: `POST /api/session` trades a user name and password for a bearer token (the
 * console's cookie carries the same token). Tokens are stored only as SHA-256 hashes.
 *
 * Failed sign-ins follow the device rules (README "Security"; NIST SP 800-63B 5.2.2): they slow
 * down the (user name, address) pair and an address failing across many names (the shared
 * LoginThrottle), and only LOGIN_FAILURES_TO_LOCK failures in a row lock the user, durably
 * (`users.failed_logins`, `users.locked_until`) and for LOGIN_LOCK_MS at most. A missing user,
 * a wrong password and a locked user get the same answer after the same work (one argon2id
 * verification, against a dummy hash when there is no usable one) and no sooner than
 * SIGN_IN_FAILURE_MIN_MS.
 */
import { and, eq, gt, lt, sql } from 'drizzle-orm';
import { createHash } from 'node:crypto';
import { sessions, users } from '../../db/schema.ts';
import { LOGIN_FAILURES_TO_LOCK, LOGIN_LOCK_MS } from '../../actors/machines/pu.actions.ts';
import type { Principal } from './principal.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { LogLimiter } from '../../lib/log-limit.ts';
import type { LoginThrottle } from '../devices/throttle.ts';
import { DomainError } from '../errors.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { randomToken } from '../../lib/secrets.ts';
import { sourceOf } from '../devices/throttle.ts';

/** How long a session lasts. */
export const SESSION_TTL_MS = 12 * 3600_000;
/** Random bytes of a session token. */
export const SESSION_TOKEN_BYTES = 32;
/**
 * Least time a refused sign-in takes to be answered (platform's choice): well above one argon2id
 * verification even on a loaded machine (90 ms on two idle cores, 300–600 ms at a load of 6 with
 * sign-ins in parallel), so that a user row found or not, and the failure counted or not, do not
 * show in the timing. A person who mistyped waits a second (Debian's login waits two: pam_faildelay).
 */
export const SIGN_IN_FAILURE_MIN_MS = 1000;
/** The one answer to a missing user, a wrong password and a locked user. */
export const SIGN_IN_REFUSED = 'wrong user name or password';
/** Credential kind of users in the shared login throttle. */
const USER = 'user';

/** A sign-in refused before anything was checked: the (user, address) pair or the address must wait. */
export class SignInThrottled extends DomainError {
  constructor(retryAfterS: number) {
    super('rate-limited', `too many failed sign-ins; try again in ${retryAfterS} s`, undefined, retryAfterS);
  }
}

/** How long an answer of Sessions.isLive is kept (a sign-out through another node shows within this). */
export const SESSION_LIVE_CACHE_MS = 5_000;
/** Most answers kept (a flood of made-up ids clears it rather than growing it). */
const SESSION_LIVE_CACHE_MAX = 10_000;

/** What the session service uses. */
export interface SessionsDeps {
  db: Db;
  log: Logger;
  /** The log for lines outsiders can cause (refused sign-ins). */
  rateLog: LogLimiter;
  /** The login throttle users share with devices (services/devices/device-auth.ts). */
  throttle: LoginThrottle;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

/** Signs users in and resolves their tokens. */
export class Sessions {
  /** Recent answers of {@link isLive}, by session id. */
  private live = new Map<string, { live: boolean; until: number }>();
  /** An argon2id hash of a random password nobody knows, with the platform's parameters. */
  private dummyHash: Promise<string>;

  constructor(private p: SessionsDeps) {
    this.dummyHash = hashPassword(randomToken());
  }

  /** Sign in; returns a new token and its expiry. */
  async signIn(
    username: string,
    password: string,
    ip: string | undefined,
  ): Promise<{ token: string; expires_at: string; user: { id: string; username: string; role: string } }> {
    const started = performance.now();
    const credential = `${USER}:${username.toLowerCase()}`;
    const source = sourceOf(ip);
    const gate = this.p.throttle.check(credential, source);
    if (!gate.ok) throw new SignInThrottled(gate.retryAfterS);
    const [user] = await this.p.db.orm.select().from(users).where(eq(users.username, username));
    // The lock comes first: a locked user's right password is not even compared.
    const locked = Boolean(user?.lockedUntil && user.lockedUntil.getTime() > Date.now());
    const usable = user && !locked ? user : undefined;
    const right = await verifyPassword(password, usable?.passwordHash ?? (await this.dummyHash));
    if (!right || !usable) {
      this.p.throttle.fail(credential, source);
      this.p.rateLog.warn(username, { username, ip, reason: !user ? 'unknown user' : locked ? 'locked' : 'wrong password' }, 'sign-in refused');
      // Counted while the answer waits (the write must not show in its timing), and counted before it goes.
      const counted = usable ? this.countFailure(usable.id, username) : undefined;
      const wait = SIGN_IN_FAILURE_MIN_MS - (performance.now() - started);
      if (wait > 0) await Bun.sleep(wait);
      await counted;
      throw new DomainError('unauthorized', SIGN_IN_REFUSED);
    }
    this.p.throttle.succeed(credential, source);
    if (usable.failedLogins > 0 || usable.lockedUntil)
      await this.p.db.orm.update(users).set({ failedLogins: 0, lockedUntil: null }).where(eq(users.id, usable.id));
    const token = randomToken(SESSION_TOKEN_BYTES);
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await this.p.db.orm.insert(sessions).values({ tokenHash: hashToken(token), userId: usable.id, expiresAt });
    this.p.log.info({ user: usable.id, username }, 'signed in');
    return { token, expires_at: expiresAt.toISOString(), user: { id: usable.id, username: usable.username, role: usable.role } };
  }

  /** Lift a user's lock and forget its failures (an admin's decision); false when there is no such user. */
  async unlock(username: string): Promise<boolean> {
    const rows = await this.p.db.orm.update(users).set({ failedLogins: 0, lockedUntil: null }).where(eq(users.username, username)).returning({ id: users.id });
    if (rows.length === 0) return false;
    this.p.throttle.forget(`${USER}:${username.toLowerCase()}`);
    this.p.log.info({ user: rows[0]!.id, username }, 'user unlocked');
    return true;
  }

  /**
   * One more failure in a row, in one statement (concurrent failures all count); the one that
   * reaches LOGIN_FAILURES_TO_LOCK sets the lock and starts the count again. Never throws.
   */
  private async countFailure(userId: string, username: string): Promise<void> {
    const reached = sql`${users.failedLogins} + 1 >= ${LOGIN_FAILURES_TO_LOCK}`;
    const until = new Date(Date.now() + LOGIN_LOCK_MS).toISOString();
    try {
      const [row] = await this.p.db.orm
        .update(users)
        .set({
          failedLogins: sql`CASE WHEN ${reached} THEN 0 ELSE ${users.failedLogins} + 1 END`,
          lockedUntil: sql`CASE WHEN ${reached} THEN ${until}::timestamptz ELSE ${users.lockedUntil} END`,
        })
        .where(eq(users.id, userId))
        .returning({ failedLogins: users.failedLogins, lockedUntil: users.lockedUntil });
      if (row?.failedLogins === 0 && row.lockedUntil)
        this.p.log.warn({ user: userId, username, until: row.lockedUntil.toISOString() }, 'user locked after failed sign-ins in a row');
    } catch (err) {
      this.p.log.warn({ user: userId, err: String(err) }, 'failed sign-in not counted');
    }
  }

  /** The principal of a token, if it is a live session. */
  async resolve(token: string): Promise<Principal | undefined> {
    const [row] = await this.p.db.orm
      .select({ id: users.id, username: users.username, role: users.role, sessionId: sessions.id, expiresAt: sessions.expiresAt })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.tokenHash, hashToken(token)), gt(sessions.expiresAt, new Date())));
    return row
      ? { kind: 'user', role: row.role, userId: row.id, username: row.username, sessionId: row.sessionId, sessionExpiresAt: row.expiresAt.getTime() }
      : undefined;
  }

  /**
   * Whether the session with this public id is still signed in (signed playback URLs die with it). Answers are
   * kept SESSION_LIVE_CACHE_MS: a player fetching a segment every few seconds costs no query each time; a
   * sign-out through this process takes effect at once.
   */
  async isLive(sessionId: string, now = Date.now()): Promise<boolean> {
    const cached = this.live.get(sessionId);
    if (cached && cached.until > now) return cached.live;
    const [row] = await this.p.db.orm.select({ expiresAt: sessions.expiresAt }).from(sessions).where(eq(sessions.id, sessionId));
    const live = row !== undefined && row.expiresAt.getTime() > now;
    if (this.live.size >= SESSION_LIVE_CACHE_MAX) this.live.clear();
    this.live.set(sessionId, { live, until: Math.min(now + SESSION_LIVE_CACHE_MS, row?.expiresAt.getTime() ?? Infinity) });
    return live;
  }

  /** End a session. */
  async signOut(token: string): Promise<void> {
    const gone = await this.p.db.orm
      .delete(sessions)
      .where(eq(sessions.tokenHash, hashToken(token)))
      .returning({ id: sessions.id });
    for (const { id } of gone) this.live.set(id, { live: false, until: Infinity });
  }

  /** Forget expired sessions. */
  async prune(): Promise<void> {
    await this.p.db.orm.delete(sessions).where(lt(sessions.expiresAt, new Date()));
  }
}
