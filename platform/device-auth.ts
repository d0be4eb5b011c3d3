/**
 * Device authentication for the Vd login (H.627.2 8.3.1, 9.2; Table 9-3): credentials checked
 * before the WebSocket upgrade, brute force slowed per device (lock-outs live in the pu actor and
 * survive restarts) and per address (in memory), and the optional signed login with replay
 * protection. Logins stay cheap under a reconnect storm: the password is compared through a keyed
 * verifier, argon2id only when the verifier is missing.
 */
import DataLoader from 'dataloader';
import { eq, inArray } from 'drizzle-orm';
import { createHmac } from 'node:crypto';
import { devices } from '../db/schema.ts';
import { puActorId } from '../actors/pu.machine.ts';
import type { PuContext } from '../actors/pu.types.ts';
import type { VdLoginQuery } from '../protocol/vd-login.ts';
import type { Platform } from './context.ts';
import { FailureThrottle } from './throttle.ts';
import { decryptSecret, passwordVerifier, sameString } from './secrets.ts';
import { verifyPassword } from './passwords.ts';

/** A signed login is accepted within this many seconds of the platform's clock (issue #3, point 6). */
export const SIGNED_LOGIN_SKEW_S = 300;
/** Failed logins from one address, across devices, that slow the address down. */
export const ADDRESS_FAILURES_TO_SLOW = 20;
/** Window in which an address's failures count. */
export const ADDRESS_FAILURE_WINDOW_MS = 15 * 60_000;
/** First slow-down of an address; doubles per further one, up to ADDRESS_LOCK_MAX_MS. */
export const ADDRESS_LOCK_BASE_MS = 60_000;
export const ADDRESS_LOCK_MAX_MS = 60 * 60_000;

/** What the platform keeps of a device for logins. */
interface DeviceCredentials {
  id: string;
  macId: string;
  passwordHash: string;
  verifier: string | null;
  secretEnc: string | null;
}

/** The verdict of a login attempt. */
export type LoginVerdict =
  | { ok: true; deviceId: string; macId: string }
  | { ok: false; status: 401 | 429; reason: string; retryAfterS?: number };

/** Checks Vd logins. */
export class DeviceAuth {
  private creds = new Map<string, DeviceCredentials>();
  /**
   * Credentials not cached yet are read together: every login that arrives in one turn of the
   * event loop (a reconnect storm after a restart brings thousands) shares one query.
   */
  private credsLoader = new DataLoader<string, DeviceCredentials | undefined>(
    async (ids) => {
      const rows = await this.p.db.orm
        .select({ id: devices.id, macId: devices.macId, passwordHash: devices.passwordHash, verifier: devices.verifier, secretEnc: devices.secretEnc })
        .from(devices).where(inArray(devices.id, [...ids]));
      const byId = new Map(rows.map((r) => [r.id, r] as const));
      return ids.map((id) => byId.get(id));
    },
    { cache: false, batchScheduleFn: (run) => setImmediate(run) },
  );
  private nonces = new Map<string, number>();
  readonly addresses = new FailureThrottle({
    failures: ADDRESS_FAILURES_TO_SLOW, windowMs: ADDRESS_FAILURE_WINDOW_MS, baseLockMs: ADDRESS_LOCK_BASE_MS, maxLockMs: ADDRESS_LOCK_MAX_MS,
  });

  constructor(private p: Platform, private key: Buffer) {}

  /** Drop what is cached of a device (its credentials changed or it is gone). */
  invalidate(deviceId: string): void {
    this.creds.delete(deviceId);
  }

  /** Check a login; on failure the pu actor and the address throttle learn of it. */
  async login(q: VdLoginQuery, ip: string | undefined): Promise<LoginVerdict> {
    const addr = ip ?? 'unknown';
    const slowed = this.addresses.check(addr);
    if (!slowed.ok) return { ok: false, status: 429, reason: 'too many failed logins from this address', retryAfterS: slowed.retryAfterS };
    const cred = await this.credentials(q.login_code);
    if (!cred) return this.refuse(undefined, addr, 'unknown device');
    const lockedUntil = await this.lockedUntil(cred.id);
    const now = Date.now();
    if (lockedUntil && lockedUntil > now) {
      return { ok: false, status: 429, reason: 'device locked out after failed logins', retryAfterS: Math.ceil((lockedUntil - now) / 1000) };
    }
    const failure = q.login_sig ? this.checkSigned(cred, q, now) : await this.checkPassword(cred, q.login_passwd ?? '');
    if (failure) return this.refuse(cred.id, addr, failure);
    return { ok: true, deviceId: cred.id, macId: cred.macId };
  }

  private refuse(deviceId: string | undefined, addr: string, reason: string): LoginVerdict {
    this.addresses.fail(addr);
    this.p.log.warn({ device: deviceId, ip: addr, reason }, 'vd login refused');
    if (deviceId) this.p.host.send(puActorId(deviceId), { type: 'login.failed', ip: addr, reason });
    return { ok: false, status: 401, reason };
  }

  private async credentials(deviceId: string): Promise<DeviceCredentials | undefined> {
    const cached = this.creds.get(deviceId);
    if (cached) return cached;
    const row = await this.credsLoader.load(deviceId);
    if (row && !this.creds.has(deviceId)) this.creds.set(deviceId, row);
    return this.creds.get(deviceId) ?? row;
  }

  private async lockedUntil(deviceId: string): Promise<number | undefined> {
    const view = await this.p.host.load(puActorId(deviceId));
    return (view?.context as PuContext | undefined)?.login?.lockedUntil;
  }

  /** undefined when the password is right, else why not. */
  private async checkPassword(cred: DeviceCredentials, password: string): Promise<string | undefined> {
    const v = passwordVerifier(this.key, password);
    if (cred.verifier) return sameString(v, cred.verifier) ? undefined : 'wrong password';
    // No verifier yet (e.g. provisioned before the platform key existed): argon2id once, then keep one.
    if (!(await verifyPassword(password, cred.passwordHash))) return 'wrong password';
    cred.verifier = v;
    await this.p.db.orm.update(devices).set({ verifier: v }).where(eq(devices.id, cred.id));
    return undefined;
  }

  private checkSigned(cred: DeviceCredentials, q: VdLoginQuery, now: number): string | undefined {
    if (!cred.secretEnc) return 'signed login not enabled for this device';
    if (Math.abs(now / 1000 - q.login_ts!) > SIGNED_LOGIN_SKEW_S) return `signed login outside ±${SIGNED_LOGIN_SKEW_S} s`;
    this.pruneNonces(now);
    const nonceKey = `${cred.id}|${q.login_nonce!.toLowerCase()}`;
    if (this.nonces.has(nonceKey)) return 'signed login nonce already used';
    const password = decryptSecret(this.key, cred.secretEnc);
    const expected = createHmac('sha256', password).update(`${q.login_code}|${q.login_ts}|${q.login_nonce}`).digest('hex');
    if (!sameString(expected, q.login_sig!.toLowerCase())) return 'bad login signature';
    this.nonces.set(nonceKey, now + 2 * SIGNED_LOGIN_SKEW_S * 1000);
    return undefined;
  }

  private pruneNonces(now: number): void {
    for (const [k, until] of this.nonces) {
      if (until > now) break; // insertion order is expiry order
      this.nonces.delete(k);
    }
  }
}
