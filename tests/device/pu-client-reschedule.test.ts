/** Re-scheduling of the PU client (H.627.2 9.3.1.2): after more than 15 failures, and when told. */
import { describe, expect, it } from 'bun:test';
import { RESCHEDULE_AFTER_FAILED_TRIES, RPC_TIMEOUT_S } from '../../protocol/index.ts';
import { CONNECT_TIMEOUT_MS } from '../../device/pu-client.machine.ts';
import { deferredVs, harness, refuse, vsAnswer } from './machine-harness.ts';

describe('re-scheduling', () => {
  it('tries the same signalling server for 15 consecutive failures and calls Vs again after the 16th', async () => {
    const h = harness({ random: () => 0.5 });
    await h.goOnline();
    expect(h.vsCalls).toBe(1);
    h.socket().send({ type: 'vd.closed', reason: 'socket closed (1006)' }); // failure 1
    for (let n = 2; n <= RESCHEDULE_AFTER_FAILED_TRIES; n++) {
      await h.advance(h.actor.getSnapshot().context.backoffMs);
      expect(h.state()).toBe('connecting');
      refuse(h); // failure n
    }
    await h.advance(h.actor.getSnapshot().context.backoffMs);
    expect(h.vsCalls).toBe(1); // 15 failures: not yet ("more than 15")
    refuse(h); // failure 16
    await h.advance(h.actor.getSnapshot().context.backoffMs);
    expect(h.vsCalls).toBe(2);
    expect(h.actor.getSnapshot().context.failuresSinceSchedule).toBe(0);
    expect(h.actor.getSnapshot().context.failures).toBe(16); // the backoff keeps growing
    expect(h.state()).toBe('connecting');
  });

  it('calls Vs again at its next try, after the backoff, when nobody answered at the Vd address (a node gone)', async () => {
    const h = harness({ random: () => 0.5 });
    await h.goOnline();
    h.socket().send({ type: 'vd.closed', reason: 'socket closed (1006)' }); // failure 1: closed, try Vd again
    await h.advance(h.actor.getSnapshot().context.backoffMs);
    expect(h.vsCalls).toBe(1);
    h.socket().send({ type: 'vd.failed', reason: 'connect failed (ECONNREFUSED)', unreachable: true }); // failure 2
    const wait = h.actor.getSnapshot().context.backoffMs;
    expect(wait).toBeGreaterThan(0); // 9.3.1.3 still paces it
    await h.advance(wait);
    expect(h.vsCalls).toBe(2);
    expect(h.actor.getSnapshot().context.reason).toContain('scheduled to');
    expect(h.actor.getSnapshot().context.vdUnreachable).toBe(false);
  });

  it('calls Vs again at its next try when a Keepalive, then a connect, stays unanswered (a paused or cut-off node)', async () => {
    const h = harness({ random: () => 0.5 });
    await h.goOnline();
    await h.advance(RPC_TIMEOUT_S * 1_000); // Keepalive unanswered: the node is silent
    expect(h.state()).toBe('backoff');
    expect(h.actor.getSnapshot().context.vdUnreachable).toBe(true);
    await h.advance(h.actor.getSnapshot().context.backoffMs);
    expect(h.vsCalls).toBe(2);
    expect(h.state()).toBe('connecting');
    await h.advance(CONNECT_TIMEOUT_MS); // the WebSocket never opens: silent again
    expect(h.actor.getSnapshot().context.reason).toContain('Vd connect timed out');
    await h.advance(h.actor.getSnapshot().context.backoffMs);
    expect(h.vsCalls).toBe(3);
  });

  it('keeps calling Vs while Vs fails after a re-schedule', async () => {
    const h = harness({ random: () => 0 });
    await h.goOnline();
    h.socket().send({ type: 'vd.closed', reason: 'socket closed (1006)' });
    for (let n = 2; n <= RESCHEDULE_AFTER_FAILED_TRIES + 1; n++) {
      await h.advance(h.actor.getSnapshot().context.backoffMs);
      refuse(h);
    }
    h.vsQueue.push(new Error('HTTP 503: busy'), new Error('HTTP 503: busy'));
    for (const calls of [2, 3, 4]) {
      await h.advance(h.actor.getSnapshot().context.backoffMs);
      expect(h.vsCalls).toBe(calls);
    }
    expect(h.state()).toBe('connecting');
  });

  it('calls Vs when the platform sends Reschedule, serving on the old connection until Vs answers, then moves with reconnect=1', async () => {
    const h = harness();
    await h.goOnline(10);
    const old = h.socket();
    old.send({ type: 'vd.keepalive.ack' });
    const vs = deferredVs();
    h.vsQueue.push(vs.promise);
    h.actor.send({ type: 'vd.reschedule' });
    await h.settle();
    expect(h.state()).toBe('rescheduling');
    expect(h.vsCalls).toBe(2);
    await h.advance(10_000); // the heartbeat goes on meanwhile
    expect(old.commands).toEqual(['vd.send.getServerInfo', 'vd.send.keepalive', 'vd.send.keepalive']);
    expect(old.closed).toBe(false);
    vs.answer({ resp: vsAnswer(h.clock.now(), 'vd2.test', 9443), deviceNowMs: h.clock.now() });
    await h.settle();
    expect(old.closed).toBe(true);
    expect(h.sockets.length).toBe(2);
    expect(h.socket().input).toEqual({ address: { scheme: 'wss', host: 'vd2.test', port: 9443 }, reconnect: 1 });
    expect(h.state()).toBe('connecting');
    expect(h.actor.getSnapshot().context.failures).toBe(0);
  });

  it('stays on its connection when the Vs call of a Reschedule fails', async () => {
    const h = harness();
    await h.goOnline();
    h.vsQueue.push(new Error('HTTP 500: oops'));
    h.actor.send({ type: 'vd.reschedule' });
    await h.settle();
    expect(h.state()).toBe('online');
    expect(h.sockets.length).toBe(1);
    expect(h.socket().closed).toBe(false);
    expect(h.actor.getSnapshot().context.reason).toContain('reschedule failed');
  });

  it('does not start a second Vs call when Reschedule comes twice', async () => {
    const h = harness();
    await h.goOnline();
    const vs = deferredVs();
    h.vsQueue.push(vs.promise);
    h.actor.send({ type: 'vd.reschedule' });
    h.actor.send({ type: 'vd.reschedule' });
    await h.settle();
    expect(h.vsCalls).toBe(2);
    vs.answer({ resp: vsAnswer(h.clock.now()), deviceNowMs: h.clock.now() });
    await h.settle();
    expect(h.sockets.length).toBe(2);
  });
});
