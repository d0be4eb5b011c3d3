/** Device provisioning (CMU): the credentials row and the device's pu actor, created and removed together. */
import { eq, or } from 'drizzle-orm';
import { devices } from '../../db/schema.ts';
import { puActorId } from '../../actors/machines/pu.machine.ts';
import { ActorExistsError } from '../../actors/host/errors.ts';
import type { ProvisionDevice } from '../../protocol/api.ts';
import type { Platform } from '../context.ts';
import { DomainError, sqlErrorOf, UNIQUE_VIOLATION } from '../errors.ts';
import { hashPassword } from '../users/passwords.ts';
import { encryptSecret, passwordVerifier } from '../../lib/secrets.ts';
import { normalizeMac } from '../../protocol/identity.ts';
import type { PuContext } from '../../actors/machines/pu.types.ts';
import type { ActorView } from '../../actors/host/host.ts';
import type { Principal } from '../../routes/auth.ts';

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
    await p.db.orm.insert(devices).values({
      id: req.device_id,
      macId: req.mac_id,
      passwordHash,
      channels,
      verifier: passwordVerifier(p.key, req.password),
      secretEnc: req.signed_login ? encryptSecret(p.key, req.password) : null,
    });
    p.auth.invalidate(req.device_id);
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
  p.auth.invalidate(deviceId);
  await p.host.dispatch(puActorId(deviceId), { type: 'device.deprovisioned' });
  p.log.info({ device: deviceId }, 'device deprovisioned');
}

/**
 * Lift a device's hard lock (an admin's decision): its pu actor forgets the lock and the failures
 * in a row (a logged `login.unlocked`), and the platform the failure delays of its pairs.
 */
export async function unlockDevice(p: Platform, deviceId: string, by: string): Promise<void> {
  const [row] = await p.db.orm.select({ id: devices.id }).from(devices).where(eq(devices.id, deviceId));
  if (!row) throw new DomainError('not-found', `no device ${deviceId}`);
  await p.host.dispatch(puActorId(deviceId), { type: 'login.unlocked', by });
  p.auth.forgetFailures(deviceId);
  p.log.info({ device: deviceId, by }, 'device unlocked');
}

function infoOf(row: typeof devices.$inferSelect, state: string | null): DeviceInfo {
  return {
    device_id: row.id,
    mac_id: row.macId,
    channels: row.channels as number[],
    owner_id: row.ownerId,
    created_at: row.createdAt.toISOString(),
    actor_id: puActorId(row.id),
    state,
  };
}

/** The device a Vs `macid` names: by MAC address, or by device id (OVC devices send their id, 9.2). */
export async function findDeviceByIdentity(p: Platform, identity: string) {
  const mac = normalizeMac(identity);
  const [row] = await p.db.orm
    .select({ id: devices.id, macId: devices.macId })
    .from(devices)
    .where(mac ? or(eq(devices.macId, mac), eq(devices.id, identity)) : eq(devices.id, identity));
  return row;
}

/** A device as a user sees it: provisioning plus what its pu actor knows. */
export interface DeviceStatus {
  device_id: string;
  mac_id: string;
  channels: number[];
  owner_id: string | null;
  state: string;
  online: boolean;
  connected: boolean;
  since: number;
  reason: string;
  last_seen: number | null;
  hardware_model: string | null;
  firmware_model: string | null;
  battery: number | null;
  capabilities: Record<string, unknown> | null;
  channel_states: PuContext['channelStates'];
  active_alarms: PuContext['activeAlarms'];
  upgrade: PuContext['upgrade'] | null;
  locked_until: number | null;
}

/** The status view of a device row and its pu actor. */
export function statusOf(row: typeof devices.$inferSelect, actor: ActorView | undefined): DeviceStatus {
  const c = (actor?.context ?? {}) as Partial<PuContext>;
  const state = actor?.stateKey ?? 'provisioned';
  return {
    device_id: row.id,
    mac_id: row.macId,
    channels: row.channels as number[],
    owner_id: row.ownerId,
    state,
    online: state.startsWith('online'),
    connected: Boolean(c.connected),
    since: c.since ?? 0,
    reason: c.reason ?? '',
    last_seen: c.lastSeenAt ?? null,
    hardware_model: c.hardwareModel ?? null,
    firmware_model: c.firmwareModel ?? null,
    battery: c.battery ?? null,
    capabilities: c.capabilities ?? null,
    channel_states: c.channelStates ?? [],
    active_alarms: c.activeAlarms ?? [],
    upgrade: c.upgrade ?? null,
    locked_until: c.login?.lockedUntil && c.login.lockedUntil > Date.now() ? c.login.lockedUntil : null,
  };
}

/** The devices a principal may see (owners see theirs, admins all), with their status. */
export async function visibleDevices(p: Platform, who: Principal): Promise<DeviceStatus[]> {
  const rows =
    who.role === 'admin'
      ? await p.db.orm.select().from(devices).orderBy(devices.id)
      : await p.db.orm.select().from(devices).where(eq(devices.ownerId, who.userId)).orderBy(devices.id);
  return Promise.all(rows.map(async (row) => statusOf(row, await p.host.get(puActorId(row.id)))));
}

/** One device, if the principal may see it; otherwise a not-found (never "forbidden": no probing). */
export async function visibleDevice(p: Platform, who: Principal, deviceId: string) {
  const [row] = await p.db.orm.select().from(devices).where(eq(devices.id, deviceId));
  const mine = row && (who.role === 'admin' || (who.kind === 'user' && row.ownerId === who.userId));
  if (!row || !mine) throw new DomainError('not-found', `no device ${deviceId}`);
  return { row, status: statusOf(row, await p.host.get(puActorId(row.id))) };
}
