/** The segment machine's lifecycle on a simulated clock (H.627.2 9.3.4.1; docs/recording.md). */
import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import { REMOVE_RETRY_MS, segmentMachine, type SegmentEvent, type SegmentInput } from '../../actors/machines/segment.machine.ts';

const T0 = Date.UTC(2026, 0, 1);
const UPLOAD_TTL = 20_000;
const CONFIRM_TTL = 60_000;
const RETENTION = 7 * 86_400_000;

function start(overrides: Partial<SegmentInput> = {}) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const removals: Array<{ key: string; version?: string; why: string }> = [];
  const machine = segmentMachine.provide({
    actions: {
      'segment.remove': (_, p) => {
        removals.push(p as { key: string; version?: string; why: string });
      },
    },
  });
  const input: SegmentInput = {
    recordingId: 'rec:S',
    sessionId: 'S',
    deviceId: 'CAM',
    channel: 0,
    name: '1-abcdef.ts',
    key: 'CAM/0/2026-01-01/S_1-abcdef.ts',
    start: T0 / 1000,
    duration: 10,
    size: 1000,
    discontinuity: false,
    createdAt: T0,
    uploadTtlMs: UPLOAD_TTL,
    confirmTtlMs: CONFIRM_TTL,
    retentionMs: RETENTION,
    ...overrides,
  };
  const actor = createActor(machine, { input, clock });
  actor.start();
  const send = (e: SegmentEvent) => actor.send({ ...e, at: clock.now() } as SegmentEvent);
  const state = () => actor.getSnapshot().value as string;
  const ctx = () => actor.getSnapshot().context;
  return { clock, actor, send, state, ctx, removals };
}

describe('segment machine', () => {
  it('goes created → uploaded → confirmed', () => {
    const t = start();
    expect(t.state()).toBe('created');
    expect(t.ctx()).toMatchObject({ since: T0, reason: 'created (Vr create)' });
    t.clock.increment(500);
    t.send({ type: 'segment.uploaded', size: 1000 });
    expect(t.state()).toBe('uploaded');
    expect(t.ctx().uploadedAt).toBe(T0 + 500);
    t.clock.increment(9_000);
    t.send({ type: 'segment.confirm' });
    expect(t.state()).toBe('confirmed');
    expect(t.ctx()).toMatchObject({ confirmedAt: T0 + 9_500, reason: 'confirmed (Vr save)' });
  });

  it('refuses a confirmation before the upload, and an upload of another size', () => {
    const t = start();
    t.send({ type: 'segment.confirm' });
    expect(t.state()).toBe('created');
    t.send({ type: 'segment.uploaded', size: 999 });
    expect(t.state()).toBe('created');
  });

  it('confirms in one step a direct upload found whole in the store, never one of another size', () => {
    const t = start();
    t.send({ type: 'segment.confirm', storedSize: 999 });
    expect(t.state()).toBe('created');
    t.clock.increment(700);
    t.send({ type: 'segment.confirm', storedSize: 1000 });
    expect(t.state()).toBe('confirmed');
    expect(t.ctx()).toMatchObject({ uploadedAt: T0 + 700, confirmedAt: T0 + 700, reason: 'confirmed (Vr save; found whole in the store)' });
    expect(t.ctx().version).toBeUndefined(); // a store without versions: nothing pinned
  });

  it('pins the version the store named as it confirms a direct upload, and removes that version', () => {
    const t = start();
    t.send({ type: 'segment.confirm', storedSize: 1000, storedVersion: 'v-1' });
    expect(t.state()).toBe('confirmed');
    expect(t.ctx().version).toBe('v-1');
    t.send({ type: 'quota.exceeded', scope: 'device', quotaBytes: 1 });
    expect(t.state()).toBe('removing');
    expect(t.removals).toEqual([{ key: 'CAM/0/2026-01-01/S_1-abcdef.ts', version: 'v-1', why: 'quota' }]);
  });

  it('expires when not uploaded in time, removing what was stored, then ends expired', () => {
    const t = start();
    t.clock.increment(UPLOAD_TTL - 1);
    expect(t.state()).toBe('created');
    t.clock.increment(1);
    expect(t.state()).toBe('removing');
    expect(t.removals).toEqual([{ key: 'CAM/0/2026-01-01/S_1-abcdef.ts', why: 'expired' }]);
    // (The host stamps a timer's event with its due time; an interpreted actor's carries none.)
    expect(t.ctx()).toMatchObject({ reason: 'not uploaded in time', removal: { why: 'expired', attempts: 1 } });
    t.send({ type: 'segment.removed' });
    expect(t.state()).toBe('expired');
    expect(t.actor.getSnapshot().status).toBe('done');
  });

  it('expires when uploaded but not confirmed in time', () => {
    const t = start();
    t.send({ type: 'segment.uploaded', size: 1000 });
    t.clock.increment(CONFIRM_TTL);
    expect(t.state()).toBe('removing');
    expect(t.ctx().reason).toBe('not confirmed in time');
    t.send({ type: 'segment.removed' });
    expect(t.state()).toBe('expired');
  });

  it('is cancelled by op=fail before or after its upload, but not once confirmed', () => {
    const a = start();
    a.send({ type: 'segment.fail' });
    expect(a.state()).toBe('removing');
    a.send({ type: 'segment.removed' });
    expect(a.state()).toBe('failed');
    const b = start();
    b.send({ type: 'segment.uploaded', size: 1000 });
    b.send({ type: 'segment.fail' });
    b.send({ type: 'segment.removed' });
    expect(b.state()).toBe('failed');
    const c = start();
    c.send({ type: 'segment.uploaded', size: 1000 });
    c.send({ type: 'segment.confirm' });
    c.send({ type: 'segment.fail' });
    expect(c.state()).toBe('confirmed');
  });

  it('retries a removal that does not report back', () => {
    const t = start();
    t.send({ type: 'segment.fail' });
    expect(t.removals.length).toBe(1);
    t.clock.increment(REMOVE_RETRY_MS);
    expect(t.removals.length).toBe(2);
    expect(t.ctx().removal?.attempts).toBe(2);
    t.clock.increment(REMOVE_RETRY_MS);
    expect(t.removals.length).toBe(3);
    t.send({ type: 'segment.removed' });
    expect(t.state()).toBe('failed');
    t.clock.increment(REMOVE_RETRY_MS * 3);
    expect(t.removals.length).toBe(3);
  });

  it('deletes a confirmed segment when its retention is over, counted from the confirmation', () => {
    const t = start();
    t.send({ type: 'segment.uploaded', size: 1000 });
    t.clock.increment(1000);
    t.send({ type: 'segment.confirm' });
    t.clock.increment(RETENTION - 1);
    expect(t.state()).toBe('confirmed');
    t.clock.increment(1);
    expect(t.state()).toBe('removing');
    expect(t.removals.at(-1)!.why).toBe('retention');
    t.send({ type: 'segment.removed' });
    expect(t.state()).toBe('deleted');
  });

  it('re-arms its retention from the confirmation when the policy changes', () => {
    const t = start();
    t.send({ type: 'segment.uploaded', size: 1000 });
    t.send({ type: 'segment.confirm' });
    t.clock.increment(3_600_000);
    t.send({ type: 'retention.set', retentionMs: 2 * 3_600_000 });
    t.clock.increment(3_600_000 - 1);
    expect(t.state()).toBe('confirmed');
    t.clock.increment(1);
    expect(t.state()).toBe('removing');
    const u = start();
    u.send({ type: 'segment.uploaded', size: 1000 });
    u.send({ type: 'segment.confirm' });
    u.clock.increment(3_600_000);
    u.send({ type: 'retention.set', retentionMs: 1000 }); // already past: deleted at once
    u.clock.increment(0);
    expect(u.state()).toBe('removing');
  });

  it('is removed for a quota only once confirmed, retried until the store answers, and ends deleted with the quota named', () => {
    const t = start();
    const over = { type: 'quota.exceeded', scope: 'user', quotaBytes: 50_000_000_000 } as const;
    t.send(over); // created: its bytes are still on their way, and a quota never takes it
    expect(t.state()).toBe('created');
    t.send({ type: 'segment.uploaded', size: 1000 });
    t.send(over); // uploaded, not confirmed: the same
    expect(t.state()).toBe('uploaded');
    expect(t.removals).toEqual([]);
    t.send({ type: 'segment.confirm' });
    t.clock.increment(5000);
    t.send(over);
    expect(t.state()).toBe('removing');
    expect(t.ctx()).toMatchObject({
      since: T0 + 5000,
      reason: "over the user's quota of 50000000000 bytes: oldest kept first",
      removal: { why: 'quota', at: T0 + 5000, attempts: 1 },
    });
    expect(t.removals).toEqual([{ key: 'CAM/0/2026-01-01/S_1-abcdef.ts', why: 'quota' }]);
    t.clock.increment(REMOVE_RETRY_MS); // the store did not answer: asked again on the durable timer
    expect(t.removals.length).toBe(2);
    expect(t.ctx().removal?.attempts).toBe(2);
    t.send(over); // already on its way out: nothing more
    expect(t.removals.length).toBe(2);
    t.send({ type: 'segment.removed' });
    expect(t.state()).toBe('deleted');
    expect(t.ctx().reason).toBe('over quota: bytes and rows removed');
    t.clock.increment(RETENTION); // its retention timer left with `confirmed`
    expect(t.removals.length).toBe(2);
  });

  it('is born uploaded when it declares 0 bytes (nothing to upload)', () => {
    const t = start({ size: 0 });
    expect(t.state()).toBe('uploaded');
    expect(t.ctx()).toMatchObject({ since: T0, reason: 'declared 0 bytes: nothing to upload' });
    t.send({ type: 'segment.confirm' });
    expect(t.state()).toBe('confirmed');
  });
});
