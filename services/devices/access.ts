/**
 * Who may do what on a device: the one place that answers it. A principal's role on a device is `admin` (an admin),
 * `owner` (the user it is bound to), the role a share gives (`viewer`, `operator`), or none. No role is a not-found
 * (never "forbidden": no probing, H.627.2 8.3.1); a role too small for the request is a 403 naming the role needed.
 * Routes, the console's live feed and the RPC API all ask here.
 */
import { and, asc, eq, gt, isNotNull, or } from 'drizzle-orm';
import { devices, deviceShares, sessions, users } from '../../db/schema.ts';
import type { Db } from '../../db/client.ts';
import { DEVICE_ROLES, type DeviceRole, type ShareRole } from '../../protocol/shares-api.ts';
import type { vd, VdName } from '../../protocol/vd.ts';
import { DomainError } from '../errors.ts';
import type { Principal } from '../users/principal.ts';

export { DEVICE_ROLES, type DeviceRole } from '../../protocol/shares-api.ts';

type DeviceRow = typeof devices.$inferSelect;

/** A device a principal reaches, with the role it has there. */
export interface DeviceGrant {
  row: DeviceRow;
  role: DeviceRole;
}

/** A device's row and its shares (user id → role): what decides every principal's role on it. */
export interface DeviceAcl {
  row: DeviceRow;
  shares: ReadonlyMap<string, ShareRole>;
}

/** A role too small for a request: a 403 whose problem names the role needed. */
export class RoleRequiredError extends DomainError {
  constructor(
    readonly required: DeviceRole,
    readonly role: DeviceRole,
    what: string,
  ) {
    super('forbidden', `${what} needs the ${required} role on this camera; you are ${article(role)} ${role}`);
  }
}

const article = (role: DeviceRole) => (/^[aeiou]/.test(role) ? 'an' : 'a');

/** Whether `have` allows what `need` allows. */
export function roleAllows(have: DeviceRole, need: DeviceRole): boolean {
  return DEVICE_ROLES.indexOf(have) >= DEVICE_ROLES.indexOf(need);
}

/** A principal's role on a device row, given the role its share gives them (if any); null: none. */
export function roleOf(who: Principal, row: DeviceRow, share: ShareRole | null | undefined): DeviceRole | null {
  if (who.role === 'admin') return 'admin';
  if (who.kind !== 'user' || row.ownerId === null) return null; // shares go with the binding
  if (row.ownerId === who.userId) return 'owner';
  return share ?? null;
}

/** A principal's role on a device from its {@link DeviceAcl}. */
export function roleFromAcl(who: Principal, acl: DeviceAcl | null): DeviceRole | null {
  if (!acl) return null;
  return roleOf(who, acl.row, who.kind === 'user' ? acl.shares.get(who.userId) : undefined);
}

type PlatformMessage = { [N in VdName]: (typeof vd)[N]['from'] extends 'platform' ? N : never }[VdName];

/**
 * The role each platform → PU message needs through `POST /api/devices/:id/rpc` (Table 9-4): reading the camera's
 * state and playing its card back are a viewer's; PTZ and snapshots an operator's; changing, rebooting, upgrading,
 * formatting and reading its configuration or logs the owner's. The stream and recording actors' own messages are
 * refused to everyone but admins by the RPC service (MANAGED_MESSAGES), with its own words.
 */
export const RPC_ROLE = {
  RebootChannel: 'owner',
  RebootDevice: 'owner',
  Reschedule: 'owner',
  UpgradeFirmware: 'owner',
  QueryUpgrade: 'viewer',
  Settime: 'owner',
  QueryTime: 'viewer',
  DevStatus: 'viewer',
  PushLive: 'owner',
  StopLive: 'owner',
  StartRecord: 'owner',
  StopRecord: 'owner',
  CtrlPTZ: 'operator',
  GetPTZPresetList: 'operator',
  GetConfig: 'owner',
  SetConfig: 'owner',
  ResetConfig: 'owner',
  Snapshot: 'operator',
  PlayVideo: 'viewer',
  CtrlVideo: 'viewer',
  QueryVideoStatus: 'viewer',
  KeepAwaken: 'viewer',
  GetCap: 'viewer',
  LogUploadAsync: 'owner',
  GetDiskInfo: 'viewer',
  FormatDisk: 'owner',
} as const satisfies Record<PlatformMessage, DeviceRole>;

/** The role a message sent through the RPC API needs; a name that is no platform message needs a viewer (then refused as invalid). */
export function rpcRole(name: string): DeviceRole {
  return (RPC_ROLE as Record<string, DeviceRole>)[name] ?? 'viewer';
}

/** How long an answer of {@link DeviceAccess.sessionReaches} is kept: a player fetching a segment every few seconds costs no query each. */
export const SESSION_REACH_CACHE_MS = 5_000;
/** Most such answers kept (a flood of made-up ids clears them rather than growing the map). */
const SESSION_REACH_CACHE_MAX = 10_000;

/** What access reads. */
export interface DeviceAccessDeps {
  db: Db;
}

/** Answers a principal's role on devices. */
export class DeviceAccess {
  private reach = new Map<string, { ok: boolean; until: number }>();

  constructor(private p: DeviceAccessDeps) {}

  /**
   * Whether the live sign-in session with this public id has a role on a device: a signed segment URL (bound to the
   * session that listed it) stops working within SESSION_REACH_CACHE_MS of a share's end or an unbind.
   */
  async sessionReaches(sessionId: string, deviceId: string, now = Date.now()): Promise<boolean> {
    const key = `${sessionId}\n${deviceId}`;
    const cached = this.reach.get(key);
    if (cached && cached.until > now) return cached.ok;
    const [r] = await this.p.db.orm
      .select({ userId: users.id, userRole: users.role, row: devices, share: deviceShares.role })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .innerJoin(devices, eq(devices.id, deviceId))
      .leftJoin(deviceShares, and(eq(deviceShares.deviceId, devices.id), eq(deviceShares.userId, users.id)))
      .where(and(eq(sessions.id, sessionId), gt(sessions.expiresAt, new Date(now))));
    const ok = Boolean(r && roleOf({ kind: 'user', role: r.userRole, userId: r.userId, username: '' }, r.row, r.share));
    if (this.reach.size >= SESSION_REACH_CACHE_MAX) this.reach.clear();
    this.reach.set(key, { ok, until: now + SESSION_REACH_CACHE_MS });
    return ok;
  }

  /** The principal's role on a device, with its row; null: the device does not exist for them. */
  async roleOn(who: Principal, deviceId: string): Promise<DeviceGrant | null> {
    const { orm } = this.p.db;
    const userId = who.kind === 'user' ? who.userId : '';
    const [r] = await orm
      .select({ row: devices, share: deviceShares.role })
      .from(devices)
      .leftJoin(deviceShares, and(eq(deviceShares.deviceId, devices.id), eq(deviceShares.userId, userId)))
      .where(eq(devices.id, deviceId));
    const role = r ? roleOf(who, r.row, r.share) : null;
    return r && role ? { row: r.row, role } : null;
  }

  /**
   * The device, if the principal's role on it allows `need`: otherwise a not-found when they have none, and a
   * {@link RoleRequiredError} (403) when it is too small. `what` names the request in that error.
   */
  async require(who: Principal, deviceId: string, need: DeviceRole, what = 'this'): Promise<DeviceGrant> {
    const g = await this.roleOn(who, deviceId);
    if (!g) throw new DomainError('not-found', `no device ${deviceId}`);
    if (!roleAllows(g.role, need)) throw new RoleRequiredError(need, g.role, what);
    return g;
  }

  /** Every device the principal reaches (admins: all), by id, with their role. */
  async visible(who: Principal): Promise<DeviceGrant[]> {
    const { orm } = this.p.db;
    if (who.role === 'admin') return (await orm.select().from(devices).orderBy(asc(devices.id))).map((row) => ({ row, role: 'admin' as const }));
    if (who.kind !== 'user') return [];
    const rows = await orm
      .select({ row: devices, share: deviceShares.role })
      .from(devices)
      .leftJoin(deviceShares, and(eq(deviceShares.deviceId, devices.id), eq(deviceShares.userId, who.userId)))
      .where(or(eq(devices.ownerId, who.userId), and(isNotNull(devices.ownerId), isNotNull(deviceShares.userId))))
      .orderBy(asc(devices.id));
    return rows.flatMap((r) => {
      const role = roleOf(who, r.row, r.share);
      return role ? [{ row: r.row, role }] : [];
    });
  }

  /** A device's row and shares (null: no such device), from which {@link roleFromAcl} answers for anyone. */
  async acl(deviceId: string): Promise<DeviceAcl | null> {
    const { orm } = this.p.db;
    const [row] = await orm.select().from(devices).where(eq(devices.id, deviceId));
    if (!row) return null;
    const shares = await orm.select({ userId: deviceShares.userId, role: deviceShares.role }).from(deviceShares).where(eq(deviceShares.deviceId, deviceId));
    return { row, shares: new Map(shares.map((s) => [s.userId, s.role])) };
  }
}
