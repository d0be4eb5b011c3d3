/**
 * What Vr does with `save`, `fail` and the upload PUT in every state of the segment machine (H.627.2 I.3.2, I.3.3,
 * 9.3.4.1): the rules are the states' `meta.vr` in the statechart, answered by vrAnswer (actors/machines/segment.vr.ts).
 */
import { describe, expect, it } from 'bun:test';
import { createActor, SimulatedClock } from 'xstate';
import { segmentMachine, type RemovalWhy, type SegmentContext, type SegmentInput } from '../../actors/machines/segment.machine.ts';
import { removalEndsIn, type VrAnswer, vrAnswer, vrRules } from '../../actors/machines/segment.vr.ts';
import type { VrSegmentOp } from '../../actors/machines/segment.types.ts';

const NAME = '1700000000000-abcdef.ts';
const T0 = Date.UTC(2026, 0, 1);
const UPLOAD_TTL = 20_000;
const CONFIRM_TTL = 60_000;
const RETENTION = 7 * 86_400_000;
const SIZE = 1000;
const OPS: VrSegmentOp[] = ['save', 'fail', 'put'];

const input: SegmentInput = {
  recordingId: 'rec:S',
  sessionId: 'S',
  deviceId: 'CAM',
  channel: 0,
  name: NAME,
  key: `CAM/0/2026-01-01/S_${NAME}`,
  start: T0 / 1000,
  duration: 10,
  size: SIZE,
  discontinuity: false,
  createdAt: T0,
  uploadTtlMs: UPLOAD_TTL,
  confirmTtlMs: CONFIRM_TTL,
  retentionMs: RETENTION,
};
const ctx = (removal?: RemovalWhy): SegmentContext => ({
  ...input,
  since: T0,
  reason: 'test',
  ...(removal ? { removal: { why: removal, at: T0, attempts: 1 } } : {}),
});

const accept: VrAnswer = { kind: 'accept' };
const already: VrAnswer = { kind: 'already' };
const refuse = (status: 409 | 410, message: string): VrAnswer => ({ kind: 'refuse', status, message });
const NOT_UPLOADED = refuse(409, `segment ${NAME} is not uploaded: PUT it to its URL first (or cancel it with op=fail)`);
const SINGLE_USE = refuse(409, `segment ${NAME} is uploaded already: an upload URL is single-use`);
const gone = (what: string) => refuse(410, `segment ${NAME} is ${what}`);

/** Every state × op, for a removal (if any) for `why`: the answers today's e2e tests pin (tests/recording/vr*.test.ts). */
const expected = (why: RemovalWhy): Record<string, Record<VrSegmentOp, VrAnswer>> => {
  const removal = { failed: 'failed', expired: 'expired', retention: 'deleted', quota: 'deleted' }[why];
  return {
    created: { save: NOT_UPLOADED, fail: accept, put: accept },
    uploaded: { save: accept, fail: accept, put: SINGLE_USE },
    confirmed: { save: already, fail: refuse(409, `segment ${NAME} is confirmed already; it cannot be cancelled`), put: SINGLE_USE },
    removing: { save: gone(removal), fail: already, put: gone(removal) },
    failed: { save: gone('failed'), fail: already, put: gone('failed') },
    expired: { save: gone('expired'), fail: gone('expired'), put: gone('expired') },
    deleted: { save: gone('deleted'), fail: gone('deleted'), put: gone('deleted') },
  };
};

describe('Vr rules of the segment machine (meta.vr)', () => {
  it('every state of the machine has its Vr rules, and the table covers every state', () => {
    const states = Object.keys(segmentMachine.states);
    for (const s of states) expect(vrRules(s)).toBeDefined();
    expect(Object.keys(expected('failed')).sort()).toEqual(states.sort());
  });

  for (const why of ['failed', 'expired', 'retention', 'quota'] as const) {
    it(`every state × op, a removal for ${why}`, () => {
      for (const [state, ops] of Object.entries(expected(why))) {
        for (const op of OPS) expect({ state, op, answer: vrAnswer({ stateKey: state, context: ctx(why) }, op) }).toEqual({ state, op, answer: ops[op] });
      }
    });
  }

  it('the removal words name the state the statechart ends it in', () => {
    expect([removalEndsIn('failed'), removalEndsIn('expired'), removalEndsIn('retention'), removalEndsIn('quota')]).toEqual([
      'failed',
      'expired',
      'deleted',
      'deleted',
    ]);
  });

  it('a state the machine does not have is refused as not now, by name', () => {
    expect(vrAnswer({ stateKey: 'archived', context: ctx() }, 'save')).toEqual(refuse(409, `segment ${NAME} is archived`));
  });

  it('answers a running actor by its snapshot: uploaded, then cancelled (removing for failed)', () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    const machine = segmentMachine.provide({ actions: { 'segment.remove': () => {} } });
    const a = createActor(machine, { input, clock }).start();
    const view = () => ({ stateKey: String(a.getSnapshot().value), context: a.getSnapshot().context });
    expect(OPS.map((op) => vrAnswer(view(), op))).toEqual([NOT_UPLOADED, accept, accept]);
    a.send({ type: 'segment.uploaded', size: SIZE, at: T0 });
    expect(OPS.map((op) => vrAnswer(view(), op))).toEqual([accept, accept, SINGLE_USE]);
    a.send({ type: 'segment.fail', at: T0 });
    expect(OPS.map((op) => vrAnswer(view(), op))).toEqual([gone('failed'), already, gone('failed')]);
    a.stop();
  });
});
