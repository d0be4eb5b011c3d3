/**
 * Binding a device to a user (H.627.2 8.3.1; Bind, I.2.3; NOTES 13): the user asks for a
 * one-time code, enters it on the device, and the device's Bind event carries it back.
 */
import { and, eq, gt, isNull } from 'drizzle-orm';
import { randomInt } from 'node:crypto';
import { bindCodes, devices } from '../db/schema.ts';
import { puActorId } from '../actors/pu.machine.ts';
import type { Platform } from './context.ts';

/** How long a bind code stays valid. */
export const BIND_CODE_TTL_MS = 10 * 60_000;
/** Characters of a bind code: easy to type on a device (no 0/O, 1/I/L). */
export const BIND_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
/** Length of a bind code (31^8 ≈ 8.5e11 codes). */
export const BIND_CODE_LENGTH = 8;

/** Issues and redeems bind codes. */
export class BindCodes {
  constructor(private p: Platform) {}

  /** A new one-time code for a user. */
  async issue(userId: string): Promise<{ bind_code: string; expires_at: string }> {
    const code = Array.from({ length: BIND_CODE_LENGTH }, () => BIND_CODE_ALPHABET[randomInt(BIND_CODE_ALPHABET.length)]).join('');
    const expiresAt = new Date(Date.now() + BIND_CODE_TTL_MS);
    await this.p.db.orm.insert(bindCodes).values({ code, userId, expiresAt });
    return { bind_code: code, expires_at: expiresAt.toISOString() };
  }

  /** A device sent Bind with a code: bind it to the code's user, or record why not. */
  async redeem(deviceId: string, code: string): Promise<boolean> {
    const normalized = code.trim().toUpperCase();
    const [row] = await this.p.db.orm.update(bindCodes).set({ usedAt: new Date(), deviceId })
      .where(and(eq(bindCodes.code, normalized), isNull(bindCodes.usedAt), gt(bindCodes.expiresAt, new Date())))
      .returning({ userId: bindCodes.userId });
    if (!row) {
      this.p.rateLog.warn(deviceId, { device: deviceId }, 'bind refused: unknown, expired or used code');
      this.p.host.send(puActorId(deviceId), { type: 'bind.rejected', reason: 'unknown, expired or already used bind code' });
      return false;
    }
    await this.p.db.orm.update(devices).set({ ownerId: row.userId }).where(eq(devices.id, deviceId));
    await this.p.host.dispatch(puActorId(deviceId), { type: 'device.bound', userId: row.userId });
    this.p.log.info({ device: deviceId, user: row.userId }, 'device bound');
    return true;
  }
}
