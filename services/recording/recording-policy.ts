/**
 * Retention by age (docs/recording.md, "Time limits"): a device's own retention of confirmed segments, or the platform
 * default. A change re-arms the deletion timers of the device's confirmed segments from their confirmation.
 */
import { eq } from 'drizzle-orm';
import type { ActorHost } from '../../actors/host/host.ts';
import type { Db } from '../../db/client.ts';
import { recordingPolicies } from '../../db/schema.ts';
import type { Logger } from '../../lib/log.ts';
import type { SegmentIndex } from './recording-index.ts';

/** Segments told of a new retention per round. */
const POLICY_PAGE = 500;

/** A device's retention as the API shows it. */
export interface RetentionView {
  retention_s: number;
  default: boolean;
}

/** Per-device retention policies. */
export class RetentionPolicies {
  constructor(
    private p: { db: Db; host: Pick<ActorHost, 'dispatch'>; log: Logger; index: Pick<SegmentIndex, 'ids'> },
    private defaultS: number,
    /** Told of every change (the session cache hands new segments the new retention). */
    private changed: (deviceId: string, retentionMs: number) => void,
  ) {}

  /** A device's retention, seconds, and whether it is the platform default. */
  async get(deviceId: string): Promise<RetentionView> {
    const [row] = await this.p.db.orm.select().from(recordingPolicies).where(eq(recordingPolicies.deviceId, deviceId));
    return row ? { retention_s: row.retentionS, default: false } : { retention_s: this.defaultS, default: true };
  }

  /** Set a device's retention: new segments take it; confirmed ones are told and re-arm their deletion from their confirmation. */
  async set(deviceId: string, retentionS: number): Promise<RetentionView & { segments: number }> {
    await this.p.db.orm
      .insert(recordingPolicies)
      .values({ deviceId, retentionS })
      .onConflictDoUpdate({ target: recordingPolicies.deviceId, set: { retentionS, updatedAt: new Date() } });
    this.changed(deviceId, retentionS * 1000);
    let segments = 0;
    for (let after = ''; ; ) {
      const ids = await this.p.index.ids(deviceId, after, POLICY_PAGE);
      if (ids.length === 0) break;
      after = ids[ids.length - 1]!;
      await Promise.all(ids.map((id) => this.p.host.dispatch(id, { type: 'retention.set', retentionMs: retentionS * 1000 }).catch(() => undefined)));
      segments += ids.length;
    }
    this.p.log.info({ device: deviceId, retentionS, segments }, 'retention policy set');
    return { retention_s: retentionS, default: false, segments };
  }
}
