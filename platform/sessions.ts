/**
 * User sessions: `POST /api/session` trades a user name and password for a bearer token (the
 * console's cookie carries the same token). Tokens are stored only as SHA-256 hashes. Failed
 * sign-ins slow down per user name and per address, as device logins do.
 */
import { and, eq, gt, lt } from 'drizzle-orm';
import { createHash } from 'node:crypto';
import { sessions, users } from '../db/schema.ts';
import type { Principal } from '../routes/auth.ts';
import type { Platform } from './context.ts';
import { DomainError } from './errors.ts';
import { verifyPassword } from './passwords.ts';
import { randomToken } from './secrets.ts';
import { FailureThrottle } from './throttle.ts';

/** How long a session lasts. */
export const SESSION_TTL_MS = 12 * 3600_000;
/** Random bytes of a session token. */
export const SESSION_TOKEN_BYTES = 32;
/** Failed sign-ins of one user name within the window that slow it down. */
export const USER_FAILURES_TO_SLOW = 5;
/** The window, first and longest slow-down of user sign-ins. */
export const USER_FAILURE_WINDOW_MS = 15 * 60_000;
export const USER_LOCK_BASE_MS = 60_000;
export const USER_LOCK_MAX_MS = 60 * 60_000;

/** How long an answer of Sessions.isLive is kept (a sign-out through another node shows within this). */
export const SESSION_LIVE_CACHE_MS = 5_000;
/** Most answers kept (a flood of made-up ids clears it rather than growing it). */
const SESSION_LIVE_CACHE_MAX = 10_000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

/** Signs users in and resolves their tokens. */
export class Sessions {
  /** Recent answers of {@link isLive}, by session id. */
  private live = new Map<string, { live: boolean; until: number }>();

  private byUser = new FailureThrottle({ failures: USER_FAILURES_TO_SLOW, windowMs: USER_FAILURE_WINDOW_MS, baseLockMs: USER_LOCK_BASE_MS, maxLockMs: USER_LOCK_MAX_MS });

  constructor(private p: Platform) {}

  /** Sign in; returns a new token and its expiry. */
  async signIn(username: string, password: string, ip: string | undefined): Promise<{ token: string; expires_at: string; user: { id: string; username: string; role: string } }> {
    for (const [throttle, key] of [[this.byUser, username.toLowerCase()], [this.p.auth.addresses, ip ?? 'unknown']] as const) {
      const v = throttle.check(key);
      if (!v.ok) throw new DomainError('rate-limited', `too many failed sign-ins; try again in ${v.retryAfterS} s`);
    }
    const [user] = await this.p.db.orm.select().from(users).where(eq(users.username, username));
    if (!user || !(await verifyPassword(password, user.passwordHash))) {
      this.byUser.fail(username.toLowerCase());
      this.p.auth.addresses.fail(ip ?? 'unknown');
      this.p.log.warn({ username, ip }, 'sign-in refused');
      throw new DomainError('unauthorized', 'wrong user name or password');
    }
    this.byUser.succeed(username.toLowerCase());
    const token = randomToken(SESSION_TOKEN_BYTES);
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await this.p.db.orm.insert(sessions).values({ tokenHash: hashToken(token), userId: user.id, expiresAt });
    this.p.log.info({ user: user.id, username }, 'signed in');
    return { token, expires_at: expiresAt.toISOString(), user: { id: user.id, username: user.username, role: user.role } };
  }

  /** The principal of a token, if it is a live session. */
  async resolve(token: string): Promise<Principal | undefined> {
    const [row] = await this.p.db.orm
      .select({ id: users.id, username: users.username, role: users.role, sessionId: sessions.id, expiresAt: sessions.expiresAt })
      .from(sessions).innerJoin(users, eq(users.id, sessions.userId))
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
    const gone = await this.p.db.orm.delete(sessions).where(eq(sessions.tokenHash, hashToken(token))).returning({ id: sessions.id });
    for (const { id } of gone) this.live.set(id, { live: false, until: Infinity });
  }

  /** Forget expired sessions. */
  async prune(): Promise<void> {
    await this.p.db.orm.delete(sessions).where(lt(sessions.expiresAt, new Date()));
  }
}
