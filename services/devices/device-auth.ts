/**
 * Device authentication for the Vd login (H.627.2 8.3.1, 9.2; Table 9-3): credentials checked
 * before the WebSocket upgrade, and the optional signed login with durable replay protection.
 *
 * Brute force (NIST SP 800-63B 5.2.2, README "Security"): failures slow down the address that
 * fails, per (device, address) pair (services/devices/throttle.ts), never the device itself; only 100
 * failures in a row lock the device, durably, in its pu actor (actors/machines/pu.actions.ts). Probing
 * learns nothing: an unknown device, a wrong password and a locked device get the same answer
 * after the same work (one keyed verifier computed and compared, against a dummy when there is
 * nothing to compare with) and no sooner than LOGIN_FAILURE_MIN_MS. Logins stay cheap under a
 * reconnect storm: the password is compared through a keyed verifier, argon2id only when the
 * verifier is missing.
 */
import DataLoader from 'dataloader';
import { eq, lt } from 'drizzle-orm';
import { createHmac, randomBytes } from 'node:crypto';
import { devices, loginNonces } from '../../db/schema.ts';
import { puActorId } from '../../actors/machines/pu.machine.ts';
import { LOGIN_FAILURES_TO_LOCK } from '../../actors/machines/pu.actions.ts';
import type { PuContext } from '../../actors/machines/pu.types.ts';
import type { VdLoginQuery } from '../../protocol/vd-login.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { LogLimiter } from '../../lib/log-limit.ts';
import type { ActorHost } from '../../actors/host/host.ts';
import { ActorElsewhereError } from '../../actors/host/errors.ts';
import { LoginThrottle, sourceOf } from './throttle.ts';
import { decryptSecret, encryptSecret, passwordVerifier, sameString } from '../../lib/secrets.ts';
import { verifyPassword } from '../users/passwords.ts';

/** A signed login is accepted within this many seconds of the platform's clock (issue #3, point 6). */
export const SIGNED_LOGIN_SKEW_S = 300;
/**
 * Least time a refused login takes to be answered (platform's choice): whether the device id was
 * cached, read from the database or not found, and whether its actor was in memory, must not
 * show in the answer's timing. Ten times what the slowest of those paths takes on a loaded
 * machine; a timer, not a blocked thread.
 */
export const LOGIN_FAILURE_MIN_MS = 100;
/** The one answer to an unknown device, a wrong password or signature, and a locked device. */
export const LOGIN_REFUSED = 'wrong device id or password';
/** Credential kind of devices in the shared login throttle. */
const DEVICE = 'device';

/** What the platform keeps of a device for logins. */
interface DeviceCredentials {
  id: string;
  macId: string;
  passwordHash: string;
  verifier: string | null;
  secretEnc: string | null;
}

/** The verdict of a login attempt. */
export type LoginVerdict = { ok: true; deviceId: string; macId: string } | { ok: false; status: 401 | 429; reason: string; retryAfterS?: number };

/** Why a login failed: the reason logged and told the pu actor, and the answer the device gets. */
type Failure = { reason: string; answer: string };

/** What the login checks use (the platform key is given beside). */
export interface DeviceAuthDeps {
  db: Db;
  host: Pick<ActorHost, 'dispatch' | 'load' | 'get'>;
  log: Logger;
  /** The log for lines outsiders can cause (refused logins). */
  rateLog: LogLimiter;
  /**
   * In a cluster: count a failed login on the node that owns the device's pu actor (which calls
   * {@link DeviceAuth.countFailure} there). Resolves false when no other node owns it.
   */
  countElsewhere?: (deviceId: string, reason: string, ip: string | undefined) => Promise<boolean>;
}

/**
 * How long a device's credentials are trusted from memory (platform's choice). In a cluster another node may change
 * or delete them (a new password, a deprovisioning): this node then accepts the old ones for at most this long.
 */
export const DEVICE_CREDS_CACHE_MS = 30_000;

/** Credentials of the devices a JSON array of ids names (a constant text, prepared: every login runs it). */
const CREDENTIALS_SQL = `SELECT id, mac_id AS "macId", password_hash AS "passwordHash", verifier, secret_enc AS "secretEnc"
  FROM devices WHERE id = ANY(ARRAY(SELECT json_array_elements_text($1::text::json)))`;

/** Checks Vd logins. */
export class DeviceAuth {
  private creds = new Map<string, DeviceCredentials & { readAt: number }>();
  /**
   * Credentials not cached yet are read together: every login that arrives in one turn of the
   * event loop (a reconnect storm after a restart brings thousands) shares one query.
   */
  private credsLoader = new DataLoader<string, DeviceCredentials | undefined>(
    async (ids) => {
      const rows = await this.p.db.prepared<DeviceCredentials>(CREDENTIALS_SQL, [JSON.stringify(ids)]);
      const byId = new Map(rows.map((r) => [r.id, r] as const));
      return ids.map((id) => byId.get(id));
    },
    { cache: false, batchScheduleFn: (run) => setImmediate(run) },
  );
  /** Slows failing (credential, address) pairs; user sign-ins share it (services/users/sessions.ts). */
  readonly throttle = new LoginThrottle();
  /** What a refused login is compared against when there is nothing real to compare with. */
  private dummyVerifier: string;
  private dummySealed: string;

  constructor(
    private p: DeviceAuthDeps,
    private key: Buffer,
  ) {
    const nobody = randomBytes(32).toString('base64url');
    this.dummyVerifier = passwordVerifier(key, nobody);
    this.dummySealed = encryptSecret(key, nobody);
  }

  /** Drop what is cached of a device (its credentials changed or it is gone). */
  invalidate(deviceId: string): void {
    this.creds.delete(deviceId);
  }

  /** Check a login; on failure the address's throttle and, for a known device, its pu actor learn of it. */
  async login(q: VdLoginQuery, ip: string | undefined): Promise<LoginVerdict> {
    const started = performance.now();
    const source = sourceOf(ip);
    const credential = `${DEVICE}:${q.login_code}`;
    // Before anything is looked up or checked: a delayed pair learns nothing, not even whether the id exists.
    const gate = this.throttle.check(credential, source);
    if (!gate.ok) return { ok: false, status: 429, reason: `too many failed logins; try again in ${gate.retryAfterS} s`, retryAfterS: gate.retryAfterS };
    const now = Date.now();
    if (q.login_sig && Math.abs(now / 1000 - q.login_ts!) > SIGNED_LOGIN_SKEW_S) {
      // Told as it is (a device with a wrong clock must learn why), and before the device is looked up.
      const outside = `signed login outside ±${SIGNED_LOGIN_SKEW_S} s of the platform's clock`;
      return this.refuse(started, q.login_code, credential, source, ip, undefined, { reason: outside, answer: outside });
    }
    const cred = await this.credentials(q.login_code);
    // The lock comes first: a locked device answers as a wrong password does, right guess or not.
    const lockedUntil = cred ? await this.lockedUntil(cred.id) : undefined;
    const locked = lockedUntil !== undefined && lockedUntil > now;
    const checked = locked ? undefined : cred;
    const failure = q.login_sig ? await this.checkSigned(checked, q) : await this.checkPassword(checked, q.login_passwd ?? '');
    if (!failure && checked) {
      this.throttle.succeed(credential, source);
      return { ok: true, deviceId: checked.id, macId: checked.macId };
    }
    const why = !cred
      ? { reason: 'unknown device', answer: LOGIN_REFUSED }
      : locked
        ? { reason: `locked after ${LOGIN_FAILURES_TO_LOCK} failed logins in a row`, answer: LOGIN_REFUSED }
        : failure!;
    return this.refuse(started, q.login_code, credential, source, ip, checked?.id, why);
  }

  /** Forget the failure delays of a device (an admin unlocked it). */
  forgetFailures(deviceId: string): void {
    this.throttle.forget(`${DEVICE}:${deviceId}`);
  }

  /** Forget used nonces whose login window has passed (housekeeping). */
  async pruneNonces(): Promise<void> {
    await this.p.db.orm.delete(loginNonces).where(lt(loginNonces.expiresAt, new Date()));
  }

  /**
   * A refusal: the pair and address are throttled, a known unlocked device's actor counts the
   * failure (an unknown id costs no write at all), and the answer waits for LOGIN_FAILURE_MIN_MS.
   */
  private async refuse(
    started: number,
    loginCode: string,
    credential: string,
    source: string,
    ip: string | undefined,
    deviceId: string | undefined,
    f: Failure,
  ): Promise<LoginVerdict> {
    this.throttle.fail(credential, source);
    this.p.rateLog.warn(loginCode, { device: loginCode, ip, reason: f.reason }, 'vd login refused');
    // Counted while the answer waits (its work must not show in the timing), and counted before it goes.
    const counted = deviceId ? this.countFailure(deviceId, ip, f.reason) : undefined;
    const wait = LOGIN_FAILURE_MIN_MS - (performance.now() - started);
    if (wait > 0) await Bun.sleep(wait);
    await counted;
    return { ok: false, status: 401, reason: f.answer };
  }

  /**
   * Tell the pu actor of a failure (an unlogged change); when its answer shows enough in a row,
   * hand the count back as `login.tooManyFailures`, and the machine decides on the lock. Never throws.
   */
  async countFailure(deviceId: string, ip: string | undefined, reason: string, relay = true): Promise<void> {
    const id = puActorId(deviceId);
    try {
      const r = await this.p.host.dispatch(id, { type: 'login.failed', reason, ...(ip ? { ip } : {}) });
      const failures = (r.context as Partial<PuContext>).failedLogins ?? 0;
      if (failures < LOGIN_FAILURES_TO_LOCK) return;
      const locked = await this.p.host.dispatch(id, { type: 'login.tooManyFailures', failures });
      if (locked.logged)
        this.p.log.warn(
          { device: deviceId, failures, until: (locked.context as Partial<PuContext>).login?.lockedUntil },
          'device locked after failed logins in a row',
        );
    } catch (err) {
      // Another live node owns the device's actor (an attacker may pick any node): the count is that node's to keep,
      // or the lock after LOGIN_FAILURES_TO_LOCK failures could be dodged by sending every guess to another node.
      if (err instanceof ActorElsewhereError && relay && this.p.countElsewhere) {
        const told = await this.p.countElsewhere(deviceId, reason, ip).catch((e: unknown) => {
          this.p.log.warn({ device: deviceId, owner: err.owner, err: String(e) }, 'failed login not counted on its owner node');
          return true;
        });
        if (told) return;
      }
      this.p.log.warn({ device: deviceId, err: String(err) }, 'failed login not counted');
    }
  }

  private async credentials(deviceId: string): Promise<DeviceCredentials | undefined> {
    const cached = this.creds.get(deviceId);
    if (cached && performance.now() - cached.readAt < DEVICE_CREDS_CACHE_MS) return cached;
    const readAt = performance.now();
    const row = await this.credsLoader.load(deviceId);
    if (!row) this.creds.delete(deviceId);
    else if ((this.creds.get(deviceId)?.readAt ?? -Infinity) < readAt) this.creds.set(deviceId, { ...row, readAt });
    return row && (this.creds.get(deviceId) ?? row);
  }

  private async lockedUntil(deviceId: string): Promise<number | undefined> {
    // In a cluster the pu actor may be owned by another live node: the device left it and logs in here, and this
    // node takes the actor over only once the login succeeds (routes/vd.routes.ts). Loading it would refuse
    // (ActorElsewhereError, a 503 to the device: no device could ever move off a live node); its row, read without
    // claiming it, says whether it is locked.
    const view = await this.p.host.load(puActorId(deviceId)).catch((err: unknown) => {
      if (err instanceof ActorElsewhereError) return this.p.host.get(puActorId(deviceId));
      throw err;
    });
    return (view?.context as PuContext | undefined)?.login?.lockedUntil;
  }

  /** undefined when the password is right; without credentials, the same work against a dummy. */
  private async checkPassword(cred: DeviceCredentials | undefined, password: string): Promise<Failure | undefined> {
    const wrong = { reason: 'wrong password', answer: LOGIN_REFUSED };
    const v = passwordVerifier(this.key, password);
    if (!cred || cred.verifier) return sameString(v, cred?.verifier ?? this.dummyVerifier) && cred ? undefined : wrong;
    // No verifier yet (e.g. provisioned before the platform key existed): argon2id once, then keep one.
    if (!(await verifyPassword(password, cred.passwordHash))) return wrong;
    cred.verifier = v;
    await this.p.db.orm.update(devices).set({ verifier: v }).where(eq(devices.id, cred.id));
    return undefined;
  }

  /**
   * undefined when the signature is right and its nonce new. The nonce is stored (durably: a
   * replay after a restart is refused too) only once the signature is right, so nobody without
   * the password can use up a device's nonces or make the platform write.
   */
  private async checkSigned(cred: DeviceCredentials | undefined, q: VdLoginQuery): Promise<Failure | undefined> {
    const password = decryptSecret(this.key, cred?.secretEnc ?? this.dummySealed);
    const expected = createHmac('sha256', password).update(`${q.login_code}|${q.login_ts}|${q.login_nonce}`).digest('hex');
    const right = sameString(expected, q.login_sig!.toLowerCase());
    if (!cred?.secretEnc) return { reason: 'signed login not enabled for this device', answer: LOGIN_REFUSED };
    if (!right) return { reason: 'bad login signature', answer: LOGIN_REFUSED };
    // Kept until its timestamp leaves the window: after that the window check refuses it anyway.
    const expiresAt = new Date((q.login_ts! + SIGNED_LOGIN_SKEW_S + 1) * 1000);
    const fresh = await this.p.db.orm
      .insert(loginNonces)
      .values({ deviceId: cred.id, nonce: q.login_nonce!.toLowerCase(), expiresAt })
      .onConflictDoNothing()
      .returning({ nonce: loginNonces.nonce });
    // Only a holder of the password gets this far: telling it that the nonce was used reveals nothing.
    if (fresh.length === 0) return { reason: 'signed login nonce already used', answer: 'signed login nonce already used' };
    return undefined;
  }
}
