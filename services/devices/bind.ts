/**
 * Binding a device to a user (H.627.2 8.3.1; Bind, I.2.3; NOTES 13): the user asks for a
 * one-time code, enters it on the device, and the device's Bind event carries it back.
 */
import type { LiveService } from '../live/live.ts';
import { and, count, eq, gt, isNull, lt } from 'drizzle-orm';
import { randomInt } from 'node:crypto';
import { bindCodes, devices, deviceShares } from '../../db/schema.ts';
import { puActorId } from '../../actors/machines/pu.machine.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { LogLimiter } from '../../lib/log-limit.ts';
import type { ActorHost } from '../../actors/host/host.ts';
import { DomainError } from '../errors.ts';

/** How long a bind code stays valid. */
export const BIND_CODE_TTL_MS = 10 * 60_000;
/** Characters of a bind code: easy to type on a device (no 0/O, 1/I/L). */
export const BIND_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
/** Length of a bind code (31^8 ≈ 8.5e11 codes). */
export const BIND_CODE_LENGTH = 8;
/** Unused, unexpired bind codes one user may hold (platform's choice: a household adds cameras a few at a time). */
export const BIND_CODES_OPEN_MAX = 10;
/** Used or expired bind codes are kept this long (for the record), then forgotten. */
export const BIND_CODE_RETENTION_MS = 24 * 3600_000;

/** What the bind codes use. */
export interface BindDeps {
  db: Db;
  host: Pick<ActorHost, 'dispatch' | 'send'>;
  log: Logger;
  /** The log for lines outsiders can cause (refused codes). */
  rateLog: LogLimiter;
  /** Bound to someone else, the device's former owner and sharees stop watching it at once. */
  live: Pick<LiveService, 'evictUsers'>;
}

/** Issues and redeems bind codes. */
export class BindCodes {
  constructor(private p: BindDeps) {}

  /** A new one-time code for a user (at most BIND_CODES_OPEN_MAX unused and unexpired at a time). */
  async issue(userId: string): Promise<{ bind_code: string; expires_at: string }> {
    const [open] = await this.p.db.orm
      .select({ n: count() })
      .from(bindCodes)
      .where(and(eq(bindCodes.userId, userId), isNull(bindCodes.usedAt), gt(bindCodes.expiresAt, new Date())));
    if ((open?.n ?? 0) >= BIND_CODES_OPEN_MAX) {
      throw new DomainError(
        'rate-limited',
        `at most ${BIND_CODES_OPEN_MAX} unused bind codes at a time: use one, or wait ${BIND_CODE_TTL_MS / 60_000} minutes for them to expire`,
      );
    }
    const code = Array.from({ length: BIND_CODE_LENGTH }, () => BIND_CODE_ALPHABET[randomInt(BIND_CODE_ALPHABET.length)]).join('');
    const expiresAt = new Date(Date.now() + BIND_CODE_TTL_MS);
    await this.p.db.orm.insert(bindCodes).values({ code, userId, expiresAt });
    return { bind_code: code, expires_at: expiresAt.toISOString() };
  }

  /** Forget codes used or expired more than BIND_CODE_RETENTION_MS ago. */
  async prune(now = Date.now()): Promise<void> {
    await this.p.db.orm.delete(bindCodes).where(lt(bindCodes.expiresAt, new Date(now - BIND_CODE_RETENTION_MS)));
  }

  /** A device sent Bind with a code: bind it to the code's user, or record why not. */
  async redeem(deviceId: string, code: string): Promise<boolean> {
    const normalized = code.trim().toUpperCase();
    // The code is used and the device bound in one transaction: an outage between the two would burn the code.
    const row = await this.p.db.orm.transaction(async (tx) => {
      const [used] = await tx
        .update(bindCodes)
        .set({ usedAt: new Date(), deviceId })
        .where(and(eq(bindCodes.code, normalized), isNull(bindCodes.usedAt), gt(bindCodes.expiresAt, new Date())))
        .returning({ userId: bindCodes.userId });
      let lost: string[] = [];
      if (used) {
        // Shares go with the binding (services/devices/shares.ts): bound to someone else, the device is shared with nobody.
        const [before] = await tx.select({ ownerId: devices.ownerId }).from(devices).where(eq(devices.id, deviceId)).for('update');
        if (before?.ownerId !== used.userId) {
          const shares = await tx.delete(deviceShares).where(eq(deviceShares.deviceId, deviceId)).returning({ userId: deviceShares.userId });
          lost = [...(before?.ownerId ? [before.ownerId] : []), ...shares.map((x) => x.userId)];
        }
        await tx.update(devices).set({ ownerId: used.userId }).where(eq(devices.id, deviceId));
      }
      return used && { ...used, lost };
    });
    if (!row) {
      this.p.rateLog.warn(deviceId, { device: deviceId }, 'bind refused: unknown, expired or used code');
      this.p.host.send(puActorId(deviceId), { type: 'bind.rejected', reason: 'unknown, expired or already used bind code' });
      return false;
    }
    if (row.lost.length > 0) this.p.live.evictUsers(deviceId, row.lost);
    await this.p.host.dispatch(puActorId(deviceId), { type: 'device.bound', userId: row.userId });
    this.p.log.info({ device: deviceId, user: row.userId }, 'device bound');
    return true;
  }
}
