/** Device provisioning (CMU): the credentials row and the device's pu actor, created and removed together. */
import { eq } from 'drizzle-orm';
import { devices } from '../db/schema.ts';
import { puActorId } from '../actors/pu.machine.ts';
import { ActorExistsError } from '../actors/errors.ts';
import type { ProvisionDevice } from '../protocol/api.ts';
import type { Platform } from './context.ts';
import { DomainError, sqlErrorOf, UNIQUE_VIOLATION } from './errors.ts';
import { hashPassword } from './passwords.ts';

/** Channel list of a PU provisioned without one: a single camera is channel 0 (NOTES 1). */
export const DEFAULT_CHANNELS = [0];

/** A device as the admin API shows it (never the password hash). */
export interface DeviceInfo {
  device_id: string;
  mac_id: string;
  channels: number[];
  owner_id: string | null;
  created_at: string;
  actor_id: string;
  state: string | null;
}

/** Provision a PU: store its credentials and create its pu actor (state provisioned). */
export async function provisionDevice(p: Platform, req: ProvisionDevice): Promise<DeviceInfo> {
  const channels = req.channels ?? DEFAULT_CHANNELS;
  const passwordHash = await hashPassword(req.password);
  const actorId = puActorId(req.device_id);
  try {
    await p.db.orm.insert(devices).values({ id: req.device_id, macId: req.mac_id, passwordHash, channels });
  } catch (err) {
    const e = sqlErrorOf(err);
    if (e.code === UNIQUE_VIOLATION) {
      const field = e.constraint?.includes('mac') ? 'mac_id' : 'device_id';
      throw new DomainError('conflict', `a device with this ${field} is already provisioned`, field);
    }
    throw err;
  }
  try {
    // A device provisioned again under an earlier id continues that pu actor's history.
    const r = (await p.host.exists(actorId))
      ? await p.host.dispatch(actorId, { type: 'device.provisioned', macId: req.mac_id, channels })
      : await p.host.create('pu', actorId, { deviceId: req.device_id, macId: req.mac_id, channels }, { deviceId: req.device_id });
    p.log.info({ device: req.device_id, mac: req.mac_id }, 'device provisioned');
    const [row] = await p.db.orm.select().from(devices).where(eq(devices.id, req.device_id));
    return infoOf(row!, r.stateKey);
  } catch (err) {
    await p.db.orm.delete(devices).where(eq(devices.id, req.device_id));
    if (err instanceof ActorExistsError) throw new DomainError('conflict', `device ${req.device_id} existed before`, 'device_id');
    throw err;
  }
}

/** Every provisioned device with its pu actor's state. */
export async function listDevices(p: Platform, ownerId?: string): Promise<DeviceInfo[]> {
  const rows = ownerId
    ? await p.db.orm.select().from(devices).where(eq(devices.ownerId, ownerId)).orderBy(devices.id)
    : await p.db.orm.select().from(devices).orderBy(devices.id);
  return Promise.all(rows.map(async (row) => infoOf(row, (await p.host.get(puActorId(row.id)))?.stateKey ?? null)));
}

/** Remove a device: its credentials go, its pu actor ends (history kept). */
export async function deprovisionDevice(p: Platform, deviceId: string): Promise<void> {
  const deleted = await p.db.orm.delete(devices).where(eq(devices.id, deviceId)).returning({ id: devices.id });
  if (deleted.length === 0) throw new DomainError('not-found', `no device ${deviceId}`);
  await p.host.dispatch(puActorId(deviceId), { type: 'device.deprovisioned' });
  p.log.info({ device: deviceId }, 'device deprovisioned');
}

function infoOf(row: typeof devices.$inferSelect, state: string | null): DeviceInfo {
  return {
    device_id: row.id, mac_id: row.macId, channels: row.channels as number[], owner_id: row.ownerId,
    created_at: row.createdAt.toISOString(), actor_id: puActorId(row.id), state,
  };
}
