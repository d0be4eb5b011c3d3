/**
 * Which cameras' events a principal may see: the one place that says it for lists (the events page's query and the
 * webhooks' fan-out). A camera's events are its owner's and those it is shared with, with any role (admins see all),
 * as `Devices.visibleOne` (services/devices/access.ts) decides for one camera.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Principal } from '../users/principal.ts';

/** A condition on a `device_id` column: the devices `who` may see; null when they see all (an admin). */
export function visibleDevices(who: Principal, column: SQL = sql`device_id`): SQL | null {
  if (who.role === 'admin') return null;
  if (who.kind !== 'user') return sql`false`;
  return sql`${column} IN (SELECT id FROM devices WHERE owner_id = ${who.userId} UNION SELECT device_id FROM device_shares WHERE user_id = ${who.userId})`;
}

/**
 * The users whose webhooks hear a device's events (the devices they may see, as {@link visibleDevices}): its owner and
 * those it is shared with, as a set to compare with `= ANY(…)`.
 */
export function audienceOf(deviceId: SQL | string): SQL {
  return sql`ANY(ARRAY(SELECT owner_id FROM devices WHERE id = ${deviceId} UNION SELECT user_id FROM device_shares WHERE device_id = ${deviceId}))`;
}
