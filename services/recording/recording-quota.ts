/**
 * Quotas by size (docs/recording.md, "Quotas"): a device keeps at most its quota (its own, or the platform default),
 * and all the devices of one user (their owner) at most the user quota; when a confirmation takes either over, the
 * oldest confirmed segments (of the device, or across the user's devices) are removed until it is under again.
 *
 * What a device keeps is a counter row (`recording_usage`, kept by triggers in the commits that add and remove index
 * rows: migrations/0013), so a check reads one row per device whatever the number of segments; a user's usage sums
 * its devices' rows. The oldest segments come from the index `(device_id, confirmed_at, id)`, a page at a time (for
 * a user, a page of each device, merged). Each is told `quota.exceeded`: its machine takes it from `confirmed` into
 * `removing` (durable; its removal effect deletes the bytes, batched), and that commit removes its index row, so the
 * counter drops at once and the next page never names it again. A segment not confirmed (still uploading) has no
 * row and is never taken. A check lost to a crash is made again by the sweep at start and every minute.
 */
import { eq, sql } from 'drizzle-orm';
import type { ActorHost, Transition } from '../../actors/host/host.ts';
import type { Db } from '../../db/client.ts';
import { recordingQuotas } from '../../db/schema.ts';
import type { Logger } from '../../lib/log.ts';
import type { RecordingConfig } from './recording-config.ts';

/** Segments taken per round (a device's, or each device's of a user): a round's query reads at most this many rows per device. */
export const QUOTA_PAGE = 256;

/** Whose quota a removal enforces. */
export type QuotaScope = 'device' | 'user';

/** The oldest segment kept: the one a quota removes next. */
export interface OldestKept {
  device_id: string;
  name: string;
  start: number;
  confirmed_at: string;
}

/** What a device keeps (the API's `DeviceRecordingUsage`). */
export interface DeviceUsage {
  device_id: string;
  bytes: number;
  segments: number;
  quota_bytes: number;
  quota_default: boolean;
  oldest_kept: OldestKept | null;
}

/** What a user's devices keep (the API's `UserRecordingUsage`). */
export interface UserUsage {
  user_id: string;
  bytes: number;
  segments: number;
  quota_bytes: number;
  oldest_kept: OldestKept | null;
  devices: DeviceUsage[];
}

type UsageRow = {
  device_id: string;
  bytes: number;
  segments: number;
  quota: number | null;
  name: string | null;
  start: number | null;
  confirmed_ms: number | null;
};

/** The usage of the devices a condition names, with each one's oldest kept segment (one index probe each). */
const usageRows = (where: ReturnType<typeof sql>) => sql`
  SELECT d.id AS device_id, coalesce(u.bytes, 0)::float8 AS bytes, coalesce(u.segments, 0)::int AS segments, q.quota_bytes::float8 AS quota,
    o.name, o.start, (extract(epoch FROM o.confirmed_at) * 1000)::float8 AS confirmed_ms
  FROM devices d LEFT JOIN recording_usage u ON u.device_id = d.id LEFT JOIN recording_quotas q ON q.device_id = d.id
  LEFT JOIN LATERAL (SELECT name, start, confirmed_at FROM recording_segments s WHERE s.device_id = d.id ORDER BY confirmed_at, id LIMIT 1) o ON true
  WHERE ${where} ORDER BY d.id`;

/** Quotas: usage views, the per-device setting, and enforcement. */
export class Quotas {
  private dirty = new Set<string>();
  private running: Promise<void> | null = null;
  /** Whether any device has a quota of its own (else, with both defaults 0, nothing is ever over). */
  private overrides = true;

  constructor(
    private p: { db: Db; host: Pick<ActorHost, 'dispatch'>; log: Logger },
    private cfg: Pick<RecordingConfig, 'deviceQuotaBytes' | 'userQuotaBytes'>,
  ) {}

  /** Follow committed transitions: a segment entering `confirmed` may take its device or owner over quota. */
  onTransition(t: Transition): void {
    if (t.logged && t.type === 'segment' && t.stateKey === 'confirmed' && t.event.type !== 'retention.set') this.touch(String(t.context.deviceId));
  }

  /** Check a device (and its owner) soon. */
  touch(deviceId: string): void {
    if (!this.enforcing()) return;
    this.dirty.add(deviceId);
    this.kick();
  }

  /** Wait until every check asked for so far is done (tests, and the API's quota change). */
  async idle(): Promise<void> {
    while (this.running || this.dirty.size > 0) {
      this.kick();
      await this.running;
    }
  }

  /** Find every device and user over quota (at start, then every housekeeping round): checks lost to a crash. */
  async sweep(): Promise<void> {
    const [o] = await this.p.db.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM recording_quotas WHERE quota_bytes > 0`);
    this.overrides = (o?.n ?? 0) > 0;
    if (!this.enforcing()) return;
    const devices = await this.p.db.rows<{ device_id: string }>(sql`
      SELECT u.device_id FROM recording_usage u LEFT JOIN recording_quotas q ON q.device_id = u.device_id
      WHERE coalesce(q.quota_bytes, ${this.cfg.deviceQuotaBytes}) > 0 AND u.bytes > coalesce(q.quota_bytes, ${this.cfg.deviceQuotaBytes})`);
    const users =
      this.cfg.userQuotaBytes > 0
        ? await this.p.db.rows<{ device_id: string }>(sql`
      SELECT min(d.id) AS device_id FROM recording_usage u JOIN devices d ON d.id = u.device_id WHERE d.owner_id IS NOT NULL
      GROUP BY d.owner_id HAVING sum(u.bytes) > ${this.cfg.userQuotaBytes}`)
        : [];
    for (const r of [...devices, ...users]) this.touch(r.device_id);
    await this.idle();
  }

  // ── Views and the setting ─────────────────────────────────────────────────────────────────────

  /** What a device keeps, against its quota. */
  async device(deviceId: string): Promise<DeviceUsage> {
    const [row] = await this.p.db.rows<UsageRow>(usageRows(sql`d.id = ${deviceId}`));
    return this.deviceView(row ?? { device_id: deviceId, bytes: 0, segments: 0, quota: null, name: null, start: null, confirmed_ms: null });
  }

  /** What a user's devices keep together, and each one. */
  async user(userId: string): Promise<UserUsage> {
    const devices = (await this.p.db.rows<UsageRow>(usageRows(sql`d.owner_id = ${userId}`))).map((r) => this.deviceView(r));
    const oldest = devices.flatMap((d) => (d.oldest_kept ? [d.oldest_kept] : [])).sort((a, b) => a.confirmed_at.localeCompare(b.confirmed_at))[0];
    return {
      user_id: userId,
      bytes: devices.reduce((n, d) => n + d.bytes, 0),
      segments: devices.reduce((n, d) => n + d.segments, 0),
      quota_bytes: this.cfg.userQuotaBytes,
      oldest_kept: oldest ?? null,
      devices,
    };
  }

  /** Set a device's own quota (null: the platform default), and enforce it at once. */
  async setDevice(deviceId: string, quotaBytes: number | null): Promise<DeviceUsage> {
    if (quotaBytes === null) await this.p.db.orm.delete(recordingQuotas).where(eq(recordingQuotas.deviceId, deviceId));
    else
      await this.p.db.orm
        .insert(recordingQuotas)
        .values({ deviceId, quotaBytes })
        .onConflictDoUpdate({ target: recordingQuotas.deviceId, set: { quotaBytes, updatedAt: new Date() } });
    if (quotaBytes) this.overrides = true;
    this.p.log.info({ device: deviceId, quotaBytes }, 'recording quota set');
    this.touch(deviceId);
    await this.idle();
    return this.device(deviceId);
  }

  private deviceView(r: UsageRow): DeviceUsage {
    return {
      device_id: r.device_id,
      bytes: Number(r.bytes),
      segments: Number(r.segments),
      quota_bytes: r.quota === null ? this.cfg.deviceQuotaBytes : Number(r.quota),
      quota_default: r.quota === null,
      oldest_kept:
        r.name === null ? null : { device_id: r.device_id, name: r.name, start: Number(r.start), confirmed_at: new Date(Number(r.confirmed_ms)).toISOString() },
    };
  }

  // ── Enforcement ───────────────────────────────────────────────────────────────────────────────

  private enforcing(): boolean {
    return this.overrides || this.cfg.deviceQuotaBytes > 0 || this.cfg.userQuotaBytes > 0;
  }

  private kick(): void {
    if (this.running) return;
    this.running = new Promise<void>((r) => setImmediate(r)).then(() => this.loop());
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty.size > 0) {
        const ids = [...this.dirty];
        this.dirty.clear();
        await this.check(ids).catch((err) => this.p.log.warn({ err: String(err), devices: ids.length }, 'quota check failed (the sweep tries again)'));
      }
    } finally {
      this.running = null;
      if (this.dirty.size > 0) this.kick();
    }
  }

  /** One query for a batch of devices: those over their quota, and the owners to check. */
  private async check(ids: string[]): Promise<void> {
    const rows = await this.p.db.rows<{ device_id: string; bytes: number; quota: number; owner_id: string | null }>(sql`
      SELECT d.id AS device_id, coalesce(u.bytes, 0)::float8 AS bytes, coalesce(q.quota_bytes, ${this.cfg.deviceQuotaBytes})::float8 AS quota, d.owner_id
      FROM devices d LEFT JOIN recording_usage u ON u.device_id = d.id LEFT JOIN recording_quotas q ON q.device_id = d.id
      WHERE d.id IN (SELECT json_array_elements_text(${JSON.stringify(ids)}::json))`);
    for (const r of rows) if (Number(r.quota) > 0 && Number(r.bytes) > Number(r.quota)) await this.enforce('device', r.device_id, Number(r.quota));
    if (this.cfg.userQuotaBytes <= 0) return;
    const owners = [...new Set(rows.flatMap((r) => (r.owner_id ? [r.owner_id] : [])))];
    if (owners.length === 0) return;
    const over = await this.p.db.rows<{ owner_id: string }>(sql`
      SELECT d.owner_id FROM devices d JOIN recording_usage u ON u.device_id = d.id
      WHERE d.owner_id IN (SELECT json_array_elements_text(${JSON.stringify(owners)}::json))
      GROUP BY d.owner_id HAVING sum(u.bytes) > ${this.cfg.userQuotaBytes}`);
    for (const o of over) await this.enforce('user', o.owner_id, this.cfg.userQuotaBytes);
  }

  /** Remove the oldest confirmed segments of a device or user until what is left is within `quota`, a page at a time. */
  private async enforce(scope: QuotaScope, id: string, quota: number): Promise<void> {
    for (;;) {
      const victims = await this.p.db.rows<{ id: string }>(scope === 'device' ? deviceVictims(id, quota) : userVictims(id, quota));
      if (victims.length === 0) return;
      const taken = await Promise.all(
        victims.map((v) =>
          this.p.host
            .dispatch(v.id, { type: 'quota.exceeded', scope, quotaBytes: quota })
            .then((r) => r.stateKey === 'removing')
            .catch((err) => {
              this.p.log.warn({ err: String(err), segment: v.id }, 'quota removal not taken');
              return false;
            }),
        ),
      );
      const n = taken.filter(Boolean).length;
      this.p.log.info({ scope, id, quota, segments: n }, 'over quota: oldest segments removed');
      // A short page was the last; a page nothing took (actors gone) would come back the same: the sweep retries.
      if (victims.length < QUOTA_PAGE || n === 0) return;
    }
  }
}

/** The shortest run of a device's oldest segments whose removal brings it within `quota` (at most a page). */
function deviceVictims(deviceId: string, quota: number) {
  return sql`
    SELECT w.id FROM (
      SELECT id, size, sum(size) OVER (ORDER BY confirmed_at, id ROWS UNBOUNDED PRECEDING) AS cum
      FROM (SELECT id, size, confirmed_at FROM recording_segments WHERE device_id = ${deviceId} ORDER BY confirmed_at, id LIMIT ${QUOTA_PAGE}) s
    ) w, (SELECT bytes FROM recording_usage WHERE device_id = ${deviceId}) u
    WHERE u.bytes - (w.cum - w.size) > ${quota} ORDER BY w.cum`;
}

/** The same across a user's devices: each device's oldest page, merged by confirmation time. */
function userVictims(userId: string, quota: number) {
  return sql`
    WITH d AS (SELECT id FROM devices WHERE owner_id = ${userId}),
    c AS (SELECT s.* FROM d CROSS JOIN LATERAL
      (SELECT id, size, confirmed_at FROM recording_segments WHERE device_id = d.id ORDER BY confirmed_at, id LIMIT ${QUOTA_PAGE}) s),
    w AS (SELECT id, size, sum(size) OVER (ORDER BY confirmed_at, id ROWS UNBOUNDED PRECEDING) AS cum FROM c),
    u AS (SELECT coalesce(sum(bytes), 0) AS bytes FROM recording_usage WHERE device_id IN (SELECT id FROM d))
    SELECT w.id FROM w, u WHERE u.bytes - (w.cum - w.size) > ${quota} ORDER BY w.cum LIMIT ${QUOTA_PAGE}`;
}
