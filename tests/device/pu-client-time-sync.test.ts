/** Time sync from Vs SyncTime (H.627.2 9.3.1.1 step 3, NOTES 4). */
import { describe, expect, it } from 'bun:test';
import { TIME_SYNC_THRESHOLD_S } from '../../protocol/index.ts';
import { clockIsOff } from '../../device/pu-client.rules.ts';
import { harness, vsAnswer } from './machine-harness.ts';

const MS = 1_000;

/** Start a device whose clock reads `deviceNowMs` when SyncTime says `platformMs`. */
async function scheduleWith(platformMs: number, deviceNowMs: number) {
  const h = harness();
  h.vsQueue.push({ resp: vsAnswer(platformMs), deviceNowMs });
  h.actor.send({ type: 'device.start' });
  await h.settle();
  return h;
}

describe('time sync', () => {
  it('resets the device clock to SyncTime when it is more than 10 s off', async () => {
    const platform = Date.UTC(2026, 5, 1, 8, 0, 0);
    const h = await scheduleWith(platform, platform - (TIME_SYNC_THRESHOLD_S * MS + 1));
    expect(h.clockSets).toEqual([{ syncTimeMs: platform, deviceNowMs: platform - 10_001 }]);
    expect(h.actor.getSnapshot().context.clockResets).toBe(1);
    expect(h.state()).toBe('connecting');
  });

  it('resets it when the device is ahead as well as behind', async () => {
    const platform = Date.UTC(2026, 5, 1, 8, 0, 0);
    const h = await scheduleWith(platform, platform + 3_600_000);
    expect(h.clockSets.length).toBe(1);
  });

  it('leaves the device clock alone within 10 s, up to exactly 10 s', async () => {
    const platform = Date.UTC(2026, 5, 1, 8, 0, 0);
    for (const off of [0, 9_999, TIME_SYNC_THRESHOLD_S * MS, -TIME_SYNC_THRESHOLD_S * MS]) {
      const h = await scheduleWith(platform, platform + off);
      expect(h.clockSets).toEqual([]);
      expect(h.actor.getSnapshot().context.clockResets).toBe(0);
      expect(h.state()).toBe('connecting');
    }
  });

  it('reads SyncTime as microseconds since the epoch', () => {
    const at = Date.UTC(2026, 0, 1);
    expect(clockIsOff({ resp: { ...vsAnswer(at), SyncTime: at * 1_000 }, deviceNowMs: at })).toBe(false);
    expect(clockIsOff({ resp: { ...vsAnswer(at), SyncTime: at }, deviceNowMs: at })).toBe(true); // milliseconds would be decades off
  });

  it('syncs again on a re-schedule', async () => {
    const h = harness();
    await h.goOnline();
    h.vsQueue.push({ resp: vsAnswer(h.clock.now() + 60_000), deviceNowMs: h.clock.now() });
    h.actor.send({ type: 'vd.reschedule' });
    await h.settle();
    expect(h.clockSets.length).toBe(1);
    expect(h.state()).toBe('connecting');
  });
});
