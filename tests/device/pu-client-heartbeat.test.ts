/** Login and heartbeat of the PU client (H.627.2 9.3.2.2, I.2.1, I.2.2; NOTES "Message framing"). */
import { describe, expect, it } from 'bun:test';
import { HB_INTERVAL_DEFAULT_S, RPC_TIMEOUT_S } from '../../protocol/index.ts';
import { CONNECT_TIMEOUT_MS } from '../../device/pu-client.machine.ts';
import { harness } from './machine-harness.ts';

const MS = 1_000;

describe('login and heartbeat', () => {
  it('logs in with reconnect=0, asks GetServerInfo first, then sends Keepalive every hb_interval from its answer', async () => {
    const h = harness();
    await h.goOnline(25);
    expect(h.socket().input.reconnect).toBe(0);
    expect(h.state()).toBe('online');
    expect(h.actor.getSnapshot().context.hbIntervalS).toBe(25);
    expect(h.socket().commands).toEqual(['vd.send.getServerInfo', 'vd.send.keepalive']);
    h.socket().send({ type: 'vd.keepalive.ack' });
    await h.advance(25 * MS - 1);
    expect(h.socket().commands.length).toBe(2);
    await h.advance(1);
    expect(h.socket().commands.length).toBe(3);
    h.socket().send({ type: 'vd.keepalive.ack' });
    await h.advance(25 * MS);
    expect(h.socket().commands.filter((c) => c === 'vd.send.keepalive').length).toBe(3);
  });

  it('beats every 10 s when GetServerInfo names no hb_interval', async () => {
    const h = harness();
    await h.goOnline();
    expect(h.actor.getSnapshot().context.hbIntervalS).toBe(HB_INTERVAL_DEFAULT_S);
  });

  it('beats at the overriding interval whatever GetServerInfo says', async () => {
    const h = harness({ hbOverrideS: 3 });
    await h.goOnline(30);
    expect(h.actor.getSnapshot().context.hbIntervalS).toBe(3);
  });

  it('reconnects when a Keepalive stays unanswered for 20 s', async () => {
    const h = harness({ random: () => 0 });
    await h.goOnline();
    const first = h.socket();
    await h.advance(RPC_TIMEOUT_S * MS - 1);
    expect(h.state()).toBe('online');
    await h.advance(1);
    expect(h.state()).toBe('backoff');
    expect(first.closed).toBe(true);
    expect(h.actor.getSnapshot().context.reason).toContain('Keepalive unanswered for 20 s');
    await h.advance(0);
    expect(h.state()).toBe('connecting');
    expect(h.socket().input.reconnect).toBe(1);
  });

  it('reconnects with reconnect=1 when the socket closes', async () => {
    const h = harness({ random: () => 0.2 });
    await h.goOnline();
    h.socket().send({ type: 'vd.closed', reason: 'socket closed (1001 going away)' });
    expect(h.state()).toBe('backoff');
    expect(h.actor.getSnapshot().context).toMatchObject({ failures: 1, backoffMs: 1_000, reconnect: 1 });
    await h.advance(1_000);
    expect(h.sockets.length).toBe(2);
    expect(h.socket().input.reconnect).toBe(1);
    expect(h.vsCalls).toBe(1); // the same signalling server, no new Vs call
  });

  it('sends reconnect=0 until it has been online once', async () => {
    const h = harness({ random: () => 0 });
    h.actor.send({ type: 'device.start' });
    await h.settle();
    h.socket().send({ type: 'vd.failed', reason: 'connect failed (Failed to connect)' });
    await h.advance(0);
    expect(h.socket().input.reconnect).toBe(0);
  });

  it('gives up a login whose GetServerInfo stays unanswered for 20 s', async () => {
    const h = harness();
    h.actor.send({ type: 'device.start' });
    await h.settle();
    h.socket().send({ type: 'vd.open' });
    expect(h.state()).toBe('registering');
    await h.advance(RPC_TIMEOUT_S * MS);
    expect(h.state()).toBe('backoff');
    expect(h.actor.getSnapshot().context.reason).toContain('GetServerInfo unanswered');
  });

  it('gives up a WebSocket that does not open', async () => {
    const h = harness();
    h.actor.send({ type: 'device.start' });
    await h.settle();
    await h.advance(CONNECT_TIMEOUT_MS);
    expect(h.state()).toBe('backoff');
    expect(h.socket().closed).toBe(true);
  });

  it('counts logins', async () => {
    const h = harness({ random: () => 0 });
    await h.goOnline();
    h.socket().send({ type: 'vd.closed', reason: 'socket closed (1006)' });
    await h.advance(0);
    h.socket().send({ type: 'vd.open' });
    h.socket().send({ type: 'vd.serverInfo' });
    expect(h.actor.getSnapshot().context.logins).toBe(2);
  });
});
