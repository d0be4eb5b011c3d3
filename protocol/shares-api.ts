/**
 * Sharing a camera (docs/console.md, "Sharing"): the roles a user can have on a device, the bodies and paths of
 * `/api/devices/:id/shares…` and `/api/devices/:id/binding`: the single source of their types and OpenAPI entries.
 * @module
 */
import { z } from 'zod';
import { UserName } from './api.ts';
import { DeviceId } from './paths.ts';

/**
 * The roles on a device, weakest first: a `viewer` watches live and plays recordings back; an `operator` also moves
 * the camera (PTZ), takes snapshots and turns recording on and off; the `owner` (the user it is bound to) also
 * configures, reboots, upgrades, shares and unbinds it; an `admin` does everything on every device.
 */
export const DEVICE_ROLES = ['viewer', 'operator', 'owner', 'admin'] as const;
/** A principal's role on a device. */
export type DeviceRole = (typeof DEVICE_ROLES)[number];

/** The roles an owner can give: those below the owner's own. */
export const ShareRole = z.enum(['viewer', 'operator']);
/** A role given by a share. */
export type ShareRole = z.infer<typeof ShareRole>;

/** Users one device may be shared with at once (platform's choice: a household and its friends, never a broadcast). */
export const SHARES_PER_DEVICE_MAX = 32;

/** `POST /api/devices/:id/shares`: share the device with a user (or change their role). */
export const ShareBody = z.object({ username: UserName, role: ShareRole });
/** A share request. */
export type ShareBody = z.infer<typeof ShareBody>;

/** `/api/devices/:id/shares/:username`. */
export const SharePath = z.object({ id: DeviceId, username: UserName });

/** One share as the API lists it. */
export const ShareInfo = z.object({ username: UserName, role: ShareRole, created_at: z.iso.datetime() });
/** A share as listed. */
export type ShareInfo = z.infer<typeof ShareInfo>;

/** `GET /api/devices/:id/shares`. */
export const ShareList = z.object({ shares: z.array(ShareInfo).max(SHARES_PER_DEVICE_MAX), max: z.int() });
