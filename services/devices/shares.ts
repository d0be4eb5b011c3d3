/**
 * Sharing a device (docs/console.md, "Sharing"): its owner (or an admin) shares it with other users as viewers or
 * operators, lists and ends the shares, and unbinds it. Shares go with the binding: unbinding deletes them, and so
 * does binding the device to another user. Each change is told to the device's pu actor (`device.shared`,
 * `device.bound`), so it is in the device's history and the consoles' live feeds re-read who sees the device.
 */
import { and, asc, count, eq } from 'drizzle-orm';
import { devices, deviceShares, users } from '../../db/schema.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { ActorHost } from '../../actors/host/host.ts';
import { puActorId } from '../../actors/machines/pu.machine.ts';
import { SHARES_PER_DEVICE_MAX, type ShareBody, type ShareInfo } from '../../protocol/shares-api.ts';
import { DomainError } from '../errors.ts';
import type { LiveService } from '../live/live.ts';

/** What the shares use. */
export interface SharesDeps {
  db: Db;
  host: Pick<ActorHost, 'dispatch'>;
  log: Logger;
  /** Live viewers of those who no longer reach a camera leave at once. */
  live: Pick<LiveService, 'evictUsers'>;
}

/** Shares and binding of devices. Callers check the caller's role first (DeviceAccess: owner). */
export class Shares {
  constructor(private p: SharesDeps) {}

  /** A device's shares, by user name. */
  async list(deviceId: string): Promise<ShareInfo[]> {
    const rows = await this.p.db.orm
      .select({ username: users.username, role: deviceShares.role, createdAt: deviceShares.createdAt })
      .from(deviceShares)
      .innerJoin(users, eq(users.id, deviceShares.userId))
      .where(eq(deviceShares.deviceId, deviceId))
      .orderBy(asc(users.username));
    return rows.map((r) => ({ username: r.username, role: r.role, created_at: r.createdAt.toISOString() }));
  }

  /** Share a bound device with a user, or change their role; at most SHARES_PER_DEVICE_MAX users per device. */
  async share(deviceId: string, body: ShareBody, by: string): Promise<{ share: ShareInfo; created: boolean }> {
    const { orm } = this.p.db;
    const [user] = await orm.select({ id: users.id }).from(users).where(eq(users.username, body.username));
    if (!user) throw new DomainError('not-found', `no user ${body.username}`, 'username');
    const out = await orm.transaction(async (tx) => {
      // The device row is locked: concurrent shares count one after the other, and an unbind waits.
      const [dev] = await tx.select({ ownerId: devices.ownerId }).from(devices).where(eq(devices.id, deviceId)).for('update');
      if (!dev?.ownerId) throw new DomainError('conflict', `${deviceId} is not bound to anyone: bind it before sharing it`);
      if (dev.ownerId === user.id) throw new DomainError('invalid', `${body.username} owns ${deviceId}`, 'username');
      const [old] = await tx
        .update(deviceShares)
        .set({ role: body.role })
        .where(and(eq(deviceShares.deviceId, deviceId), eq(deviceShares.userId, user.id)))
        .returning({ createdAt: deviceShares.createdAt });
      if (old) return { createdAt: old.createdAt, created: false };
      const [n] = await tx.select({ n: count() }).from(deviceShares).where(eq(deviceShares.deviceId, deviceId));
      if ((n?.n ?? 0) >= SHARES_PER_DEVICE_MAX) {
        throw new DomainError('conflict', `${deviceId} is shared with ${SHARES_PER_DEVICE_MAX} users already (the most it may be): end a share first`);
      }
      const [row] = await tx.insert(deviceShares).values({ deviceId, userId: user.id, role: body.role }).returning({ createdAt: deviceShares.createdAt });
      return { createdAt: row!.createdAt, created: true };
    });
    await this.p.host.dispatch(puActorId(deviceId), { type: 'device.shared', username: body.username, role: body.role, by });
    this.p.log.info({ device: deviceId, user: body.username, role: body.role, by }, 'device shared');
    return { share: { username: body.username, role: body.role, created_at: out.createdAt.toISOString() }, created: out.created };
  }

  /** End a user's share of a device. */
  async unshare(deviceId: string, username: string, by: string): Promise<void> {
    const { orm } = this.p.db;
    const [user] = await orm.select({ id: users.id }).from(users).where(eq(users.username, username));
    const gone = user
      ? await orm
          .delete(deviceShares)
          .where(and(eq(deviceShares.deviceId, deviceId), eq(deviceShares.userId, user.id)))
          .returning({ userId: deviceShares.userId })
      : [];
    if (gone.length === 0) throw new DomainError('not-found', `${deviceId} is not shared with ${username}`, 'username');
    this.p.live.evictUsers(deviceId, [user!.id]);
    await this.p.host.dispatch(puActorId(deviceId), { type: 'device.shared', username, role: null, by });
    this.p.log.info({ device: deviceId, user: username, by }, 'device share ended');
  }

  /**
   * Unbind a device from its owner: its shares go, its actors and recordings stay (only admins reach them until it
   * is bound again, by a Bind with a new code).
   */
  async unbind(deviceId: string, by: string): Promise<void> {
    const { orm } = this.p.db;
    const lost = await orm.transaction(async (tx) => {
      const [dev] = await tx.select({ ownerId: devices.ownerId }).from(devices).where(eq(devices.id, deviceId)).for('update');
      if (!dev?.ownerId) throw new DomainError('conflict', `${deviceId} is not bound to anyone`);
      const shares = await tx.delete(deviceShares).where(eq(deviceShares.deviceId, deviceId)).returning({ userId: deviceShares.userId });
      await tx.update(devices).set({ ownerId: null }).where(eq(devices.id, deviceId));
      return [dev.ownerId, ...shares.map((s) => s.userId)];
    });
    this.p.live.evictUsers(deviceId, lost);
    await this.p.host.dispatch(puActorId(deviceId), { type: 'device.bound', userId: null });
    this.p.log.info({ device: deviceId, by }, 'device unbound');
  }
}
