/**
 * What the record sessions of a PU learn from its pu actor (NOTES 2; docs/recording.md): a login
 * (or a keepalive that brings it back) restarts the sessions it should be recording, going offline
 * fails them, and a Keepalive that stops reporting a session (or reports another one) restarts it.
 */
import { and, asc, eq, isNull } from 'drizzle-orm';
import { recordingSessions } from '../../db/schema.ts';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import type { ActorHost, Transition } from '../../actors/host/host.ts';
import type { PuContext } from '../../actors/machines/pu.types.ts';
import { KEEPALIVE_BACK_REASON } from '../../actors/machines/pu.machine.ts';

/** What the follow-up uses. */
export interface FollowUpDeps {
  db: Db;
  host: Pick<ActorHost, 'get' | 'peek' | 'send' | 'subscribe'>;
}

/** Tells a PU's record sessions what happened to the PU. */
export class RecordingFollowUp {
  /** Devices that may have open record sessions (see {@link devicesWithSessions}), once read. */
  private recordingDevices?: Promise<Set<string>>;
  /** The record session each channel of each PU last reported in Keepalive (NOTES 2). */
  private reported = new Map<string, Map<number, string | undefined>>();

  constructor(
    private p: FollowUpDeps,
    private log: Logger,
  ) {
    p.host.subscribe((t) => this.onTransition(t), { unlogged: false });
  }

  /**
   * PU logins restart wanted sessions; a PU going offline fails them; a Keepalive that stops
   * reporting a recording session (or reports another one) restarts it.
   */
  private onTransition(t: Transition): void {
    if (!t.logged || t.type !== 'pu') return;
    const pu = t.context as unknown as PuContext;
    // Back: a login, or a keepalive on a connection that stayed open while the pu was offline.
    const back =
      t.event.type === 'vd.connected' || (t.event.type === 'vd.keepalive' && pu.reason === KEEPALIVE_BACK_REASON && t.changes.set.since !== undefined);
    if (back) this.tellSessions(pu.deviceId, { type: 'pu.online' });
    else if (t.stateKey === 'offline' || t.stateKey === 'deprovisioned')
      this.tellSessions(pu.deviceId, { type: 'pu.offline', reason: String(pu.reason ?? t.stateKey) });
    else if (t.event.type === 'vd.keepalive') this.compareKeepalive(pu);
  }

  private tellSessions(deviceId: string, event: { type: 'pu.online' } | { type: 'pu.offline'; reason: string }): void {
    this.openSessions(deviceId).then(
      (rows) => {
        for (const r of rows) this.p.host.send(r.id, event);
      },
      (err) => this.log.error({ device: deviceId, err: String(err) }, 'could not find the sessions of a device'),
    );
  }

  /** The open sessions of a device, oldest first (no query for a device that has not recorded). */
  private async openSessions(deviceId: string): Promise<Array<{ id: string; channel: number; sessionId: string }>> {
    if (!(await this.devicesWithSessions()).has(deviceId)) return [];
    const t = recordingSessions;
    return this.p.db.orm
      .select({ id: t.id, channel: t.channel, sessionId: t.sessionId })
      .from(t)
      .where(and(eq(t.deviceId, deviceId), isNull(t.closedAt)))
      .orderBy(asc(t.createdAt));
  }

  /**
   * Devices that may have open sessions: a superset, read once (devices with open sessions then)
   * and grown by every session started here. A login or an offline of any other device (thousands
   * at once in a reconnect storm) then costs no query. A failed read is tried again next time.
   */
  devicesWithSessions(): Promise<Set<string>> {
    return (this.recordingDevices ??= this.p.db.orm
      .selectDistinct({ deviceId: recordingSessions.deviceId })
      .from(recordingSessions)
      .where(isNull(recordingSessions.closedAt))
      .then(
        (rows) => new Set(rows.map((r) => r.deviceId)),
        (err) => {
          this.recordingDevices = undefined;
          throw err;
        },
      ));
  }

  /**
   * NOTES 2: a channel that records reports its `record_session` in Keepalive. When a recording
   * session the PU reported is gone from its report, or another one is reported instead, the PU
   * stopped recording it on its own: StartRecord again. (A PU that never reports sessions is left
   * alone: only a change of what it reported counts.)
   */
  private compareKeepalive(pu: PuContext): void {
    const now = new Map(pu.channelStates.map((c) => [c.channel, c.record_session] as const));
    const before = this.reported.get(pu.deviceId);
    this.reported.set(pu.deviceId, now);
    const changed = [...now].some(([ch, s]) => before?.get(ch) !== s) || [...(before ?? [])].some(([ch, s]) => s && !now.has(ch));
    if (!before || !changed) return;
    this.openSessions(pu.deviceId).then(
      async (rows) => {
        for (const r of rows) {
          const was = before.get(r.channel);
          const is = now.get(r.channel);
          const lost = was === r.sessionId && is !== r.sessionId;
          const other = is !== undefined && is !== r.sessionId;
          if (!lost && !other) continue;
          const v = this.p.host.peek(r.id) ?? (await this.p.host.get(r.id));
          if (v?.stateKey !== 'recording') continue;
          const reason = other ? `the PU reports record session ${is} on channel ${r.channel}` : `the PU no longer reports record session ${r.sessionId}`;
          this.log.warn({ device: pu.deviceId, channel: r.channel, session: r.sessionId, reported: is ?? null }, 'record session mismatch in Keepalive');
          this.p.host.send(r.id, { type: 'record.resync', reason });
        }
      },
      (err) => this.log.error({ device: pu.deviceId, err: String(err) }, 'could not compare Keepalive sessions'),
    );
  }
}
