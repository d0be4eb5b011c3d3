/**
 * Devices (CMU): provisioning (the credentials row and the device's pu actor, created and removed
 * together), what a user may see of them, and their alarms and stored files.
 */
import { and, desc, eq, inArray, lt } from 'drizzle-orm';
import { existsSync } from 'node:fs';
import type { z } from 'zod';
import { alarms, deviceLogs, devices, snapshots, users } from '../../db/schema.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import { isUnder } from '../../lib/safe-path.ts';
import { encryptSecret, passwordVerifier } from '../../lib/secrets.ts';
import { puActorId } from '../../actors/machines/pu.machine.ts';
import type { PuContext } from '../../actors/machines/pu.types.ts';
import { heartbeatTimeoutMs } from '../../actors/machines/pu.heartbeat.ts';
import { ActorExistsError } from '../../actors/host/errors.ts';
import type { ActorHost, ActorView } from '../../actors/host/host.ts';
import type { ListQuery, ProvisionDevice } from '../../protocol/api.ts';
import { normalizeMac } from '../../protocol/identity.ts';
import { DomainError, sqlErrorOf, UNIQUE_VIOLATION } from '../errors.ts';
import { hashPassword } from '../users/passwords.ts';
import type { Principal } from '../users/principal.ts';
import type { DeviceAuth } from './device-auth.ts';
import type { DeviceAccess, DeviceRole } from './access.ts';

/** Channel list of a PU provisioned without one: a single camera is channel 0 (NOTES 1). */
export const DEFAULT_CHANNELS = [0];

/** A device as the admin API shows it (never the password hash). */
export interface DeviceInfo {
  device_id: string;
  mac_id: string;
  channels: number[];
  owner_id: string | null;
  /** The owner's user name (null: not bound). */
  owner: string | null;
  created_at: string;
  actor_id: string;
  state: string | null;
}

/** An alarm as the API lists it. */
export interface AlarmInfo {
  id: string;
  channel: number;
  type: number;
  state: string;
  desc: string | null;
  device_timestamp: number | null;
  received_at: string;
  /** The API path of its picture, when the device uploaded one. */
  picture: string | null;
}

type DeviceRow = typeof devices.$inferSelect;

/** What the device service uses. */
export interface DevicesDeps {
  db: Db;
  host: Pick<ActorHost, 'create' | 'dispatch' | 'exists' | 'get'>;
  log: Logger;
  /** The platform key: verifiers and sealed secrets of signed logins. */
  key: Buffer;
  auth: Pick<DeviceAuth, 'invalidate' | 'forgetFailures'>;
  /** Root of the devices' uploads: a stored file is served only from under it. */
  uploadsRoot: string;
  /** Who may do what on a device. */
  access: Pick<DeviceAccess, 'require' | 'visible'>;
}

/** The device a MAC ($1, normalized, or null) or a device id ($2) names. */
const IDENTITY_SQL = 'SELECT id, mac_id AS "macId" FROM devices WHERE mac_id = $1 OR id = $2 LIMIT 1';

/** Provisions devices and reads them for their owners. */
export class Devices {
  /** What else a deprovisioned device takes with it (services add themselves: its detectors and detection events). */
  readonly deprovisioners: Array<(deviceId: string) => Promise<unknown>> = [];

  constructor(private p: DevicesDeps) {}

  /** Provision a PU: store its credentials and create its pu actor (state provisioned). */
  async provision(req: ProvisionDevice): Promise<DeviceInfo> {
    const p = this.p;
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
      return infoOf(row!, r.stateKey, new Map());
    } catch (err) {
      await p.db.orm.delete(devices).where(eq(devices.id, req.device_id));
      if (err instanceof ActorExistsError) throw new DomainError('conflict', `device ${req.device_id} existed before`, 'device_id');
      throw err;
    }
  }

  /** Every provisioned device with its pu actor's state. */
  async list(ownerId?: string): Promise<DeviceInfo[]> {
    const { db, host } = this.p;
    const rows = ownerId
      ? await db.orm.select().from(devices).where(eq(devices.ownerId, ownerId)).orderBy(devices.id)
      : await db.orm.select().from(devices).orderBy(devices.id);
    const ownerIds = [...new Set(rows.flatMap((r) => (r.ownerId ? [r.ownerId] : [])))];
    const names = new Map(
      ownerIds.length
        ? (await db.orm.select({ id: users.id, username: users.username }).from(users).where(inArray(users.id, ownerIds))).map((u) => [u.id, u.username])
        : [],
    );
    return Promise.all(rows.map(async (row) => infoOf(row, (await host.get(puActorId(row.id)))?.stateKey ?? null, names)));
  }

  /** Remove a device: its credentials go, its pu actor ends (history kept), the deprovisioners run. */
  async deprovision(deviceId: string): Promise<void> {
    const p = this.p;
    const deleted = await p.db.orm.delete(devices).where(eq(devices.id, deviceId)).returning({ id: devices.id });
    if (deleted.length === 0) throw new DomainError('not-found', `no device ${deviceId}`);
    p.auth.invalidate(deviceId);
    await p.host.dispatch(puActorId(deviceId), { type: 'device.deprovisioned' });
    for (const forget of this.deprovisioners)
      await forget(deviceId).catch((err) => p.log.warn({ device: deviceId, err: String(err) }, 'cleanup of a deprovisioned device failed'));
    p.log.info({ device: deviceId }, 'device deprovisioned');
  }

  /**
   * Lift a device's hard lock (an admin's decision): its pu actor forgets the lock and the failures
   * in a row (a logged `login.unlocked`), and the platform the failure delays of its pairs.
   */
  async unlock(deviceId: string, by: string): Promise<void> {
    const p = this.p;
    const [row] = await p.db.orm.select({ id: devices.id }).from(devices).where(eq(devices.id, deviceId));
    if (!row) throw new DomainError('not-found', `no device ${deviceId}`);
    await p.host.dispatch(puActorId(deviceId), { type: 'login.unlocked', by });
    p.auth.forgetFailures(deviceId);
    p.log.info({ device: deviceId, by }, 'device unlocked');
  }

  /** The device a Vs `macid` names: by MAC address, or by device id (OVC devices send their id, 9.2). */
  async findByIdentity(identity: string): Promise<{ id: string; macId: string } | undefined> {
    const mac = normalizeMac(identity);
    // A constant text, prepared: every Vs request runs it.
    const [row] = await this.p.db.prepared<{ id: string; macId: string }>(IDENTITY_SQL, [mac ?? null, identity]);
    return row;
  }

  /** The devices a principal reaches (owners theirs and those shared with them, admins all), with status and role. */
  async visible(who: Principal): Promise<Array<DeviceStatus & { role: DeviceRole }>> {
    const grants = await this.p.access.visible(who);
    return Promise.all(grants.map(async ({ row, role }) => ({ ...statusOf(row, await this.p.host.get(puActorId(row.id))), role })));
  }

  /**
   * One device, if the principal's role on it allows `need` (services/devices/access.ts): no role is a not-found
   * (never "forbidden": no probing), too small a role a 403 naming the role needed (`what` names the request).
   */
  async visibleOne(
    who: Principal,
    deviceId: string,
    need: DeviceRole,
    what?: string,
  ): Promise<{ row: DeviceRow; role: DeviceRole; status: DeviceStatus & { role: DeviceRole } }> {
    const { row, role } = await this.p.access.require(who, deviceId, need, what);
    return { row, role, status: { ...statusOf(row, await this.p.host.get(puActorId(row.id))), role } };
  }

  /** A device's alarms, newest first, a page at a time. */
  async alarms(deviceId: string, q: z.output<typeof ListQuery>): Promise<AlarmInfo[]> {
    const list = await this.p.db.orm
      .select()
      .from(alarms)
      .where(q.before ? and(eq(alarms.deviceId, deviceId), lt(alarms.receivedAt, new Date(q.before))) : eq(alarms.deviceId, deviceId))
      .orderBy(desc(alarms.receivedAt))
      .limit(q.limit);
    return list.map((a) => ({
      id: a.id,
      channel: a.channel,
      type: a.type,
      state: a.state,
      desc: a.desc,
      device_timestamp: a.deviceTimestamp,
      received_at: a.receivedAt.toISOString(),
      picture: a.picture ? `/api/devices/${encodeURIComponent(deviceId)}/alarms/${a.id}/picture` : null,
    }));
  }

  /** The stored picture of one of a device's alarms. */
  async alarmPicture(deviceId: string, alarmId: string): Promise<string> {
    const [a] = await this.p.db.orm
      .select()
      .from(alarms)
      .where(and(eq(alarms.deviceId, deviceId), eq(alarms.id, alarmId)));
    return this.storedFile(a?.picture);
  }

  /** The stored picture of one of a device's snapshots. */
  async snapshotFile(deviceId: string, snapshotId: string): Promise<string> {
    const [s] = await this.p.db.orm
      .select()
      .from(snapshots)
      .where(and(eq(snapshots.deviceId, deviceId), eq(snapshots.id, snapshotId)));
    return this.storedFile(s?.file);
  }

  /** The stored file of one of a device's log uploads. */
  async logFile(deviceId: string, transId: string): Promise<string> {
    const [l] = await this.p.db.orm
      .select()
      .from(deviceLogs)
      .where(and(eq(deviceLogs.deviceId, deviceId), eq(deviceLogs.transId, transId)));
    return this.storedFile(l?.file);
  }

  /** A stored path is the platform's own, but it is served only from under the uploads' root. */
  private storedFile(path: string | null | undefined): string {
    if (!path || !isUnder(this.p.uploadsRoot, path) || !existsSync(path)) throw new DomainError('not-found', 'no file (not uploaded yet?)');
    return path;
  }
}

function infoOf(row: DeviceRow, state: string | null, names: Map<string, string>): DeviceInfo {
  return {
    device_id: row.id,
    mac_id: row.macId,
    channels: row.channels as number[],
    owner_id: row.ownerId,
    owner: row.ownerId ? (names.get(row.ownerId) ?? null) : null,
    created_at: row.createdAt.toISOString(),
    actor_id: puActorId(row.id),
    state,
  };
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
  /** Asleep (the pu's `hibernating`: Vd closed, hibernation heartbeats arrive; issue #22). */
  asleep: boolean;
  /** The last hibernation heartbeat, ms since the epoch. */
  last_heartbeat: number | null;
  hardware_model: string | null;
  firmware_model: string | null;
  battery: number | null;
  /** GetCap's answer at the last login (NOTES 9); null: unknown (never answered, or refused). */
  capabilities: PuContext['capabilities'] | null;
  /** GetDiskInfo's answer at the last login (I.2.31: the SD card); null: unknown. */
  disk: PuContext['disk'] | null;
  channel_states: PuContext['channelStates'];
  active_alarms: PuContext['activeAlarms'];
  upgrade: PuContext['upgrade'] | null;
  locked_until: number | null;
  /**
   * The Vd connection closed while the pu still counts as online (it goes offline 3 heartbeat intervals after the
   * last message, NOTES 3): when it closed, why, and when it will count as offline unless it reconnects. Null otherwise.
   */
  connection_lost: { at: number; reason: string; offline_at: number } | null;
}

/** The status view of a device row and its pu actor. */
export function statusOf(row: DeviceRow, actor: ActorView | undefined): DeviceStatus {
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
    asleep: state === 'hibernating',
    last_heartbeat: c.hbSeenAt ?? null,
    hardware_model: c.hardwareModel ?? null,
    firmware_model: c.firmwareModel ?? null,
    battery: c.battery ?? null,
    capabilities: c.capabilities ?? null,
    disk: c.disk ?? null,
    channel_states: c.channelStates ?? [],
    active_alarms: c.activeAlarms ?? [],
    upgrade: c.upgrade ?? null,
    locked_until: c.login?.lockedUntil && c.login.lockedUntil > Date.now() ? c.login.lockedUntil : null,
    connection_lost: connectionLost(state, c),
  };
}

/** Online substates whose disconnection is expected and timed by their own deadline, not the heartbeat's. */
const EXPECTED_DISCONNECT_STATES = ['online.rebooting', 'online.rescheduling'];

/** See {@link DeviceStatus.connection_lost}. */
function connectionLost(state: string, c: Partial<PuContext>): DeviceStatus['connection_lost'] {
  if (!state.startsWith('online') || c.connected || EXPECTED_DISCONNECT_STATES.includes(state) || !c.hbIntervalS) return null;
  const last = c.lastSeenAt ?? c.lastDisconnect?.at ?? c.since ?? 0;
  return { at: c.lastDisconnect?.at ?? last, reason: c.lastDisconnect?.reason ?? '', offline_at: last + heartbeatTimeoutMs(c as PuContext) };
}
