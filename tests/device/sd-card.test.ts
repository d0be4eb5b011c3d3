/**
 * The simulated camera's SD card as the Vd messages reach it (docs/sd-playback.md): PlayVideo with an
 * SRT url plays from the card, with the range; CtrlVideo and QueryVideoStatus go to the card's
 * playback while it runs; a control naming another playback is ignored; any other url is a file the
 * device plays itself (I.2.23's other reading). The card's FFmpeg work is in tests/e2e/sd-playback.test.ts.
 */
import { describe, expect, it } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CtrlVideoParams, PlayVideoParams, QueryVideoStatusResp } from '../../protocol/index.ts';
import type { SdCardHooks } from '../../device/camera-media.ts';
import { SdCard } from '../../device/sd-card.ts';
import { cameraRig } from './camera-harness.ts';

const SRT = 'srt://mdu.test:9000?streamid=#!::r=0123456789abcdef,m=publish,t=x';
const FROM = 1_796_000_000;

/** A card that records what reaches it. */
function fakeCard() {
  const calls: unknown[] = [];
  let playing: number | undefined;
  const card: SdCardHooks = {
    has: (ch) => ch === playing,
    play: (p: PlayVideoParams) => {
      calls.push(['play', p]);
      playing = p.channel;
    },
    control: (p: CtrlVideoParams) => void calls.push(['control', p]),
    status: (): QueryVideoStatusResp => ({ status: 'playing', url: SRT, pos: FROM + 7, speed: 2 }),
    stop: () => {
      playing = undefined;
    },
  };
  return { card, calls };
}

describe('the SD card of the simulated camera', () => {
  it('plays an SRT url from the card with its range, and routes controls and status to it', async () => {
    const { card, calls } = fakeCard();
    const rig = cameraRig({ media: { sdCard: card } });
    rig.tell('PlayVideo', { channel: 0, url: SRT, stream_id: '0123456789abcdef', start_ts: FROM, end_ts: FROM + 60 });
    expect(calls).toEqual([['play', { channel: 0, url: SRT, stream_id: '0123456789abcdef', start_ts: FROM, end_ts: FROM + 60 }]]);
    rig.tell('CtrlVideo', { channel: 0, op: 'seek', pos: FROM + 30, stream_id: '0123456789abcdef' });
    expect(calls[1]).toEqual(['control', { channel: 0, op: 'seek', pos: FROM + 30, stream_id: '0123456789abcdef' }]);
    expect(await rig.ok('QueryVideoStatus', { channel: 0 })).toEqual({ status: 'playing', url: SRT, pos: FROM + 7, speed: 2 });
  });

  it('plays any other url as a file of its own, keeping only the status', async () => {
    const { card, calls } = fakeCard();
    const rig = cameraRig({ media: { sdCard: card } });
    rig.tell('PlayVideo', { channel: 0, url: 'https://p.test/media/lullaby.mp3' });
    expect(calls).toEqual([]);
    expect(await rig.ok('QueryVideoStatus', { channel: 0 })).toEqual({ status: 'playing', url: 'https://p.test/media/lullaby.mp3' });
  });

  it('keeps the position: it runs at the speed while playing, stands while paused, moves on a seek, stops at the end', () => {
    // FFmpeg stand-ins that ignore their arguments and wait: the card's bookkeeping is what is tested here.
    const dir = mkdtempSync(join(tmpdir(), 'h627-sd-'));
    const fake = join(dir, 'ffmpeg');
    writeFileSync(fake, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(fake, 0o755);
    let now = 1_000_000;
    const card = new SdCard({ ffmpeg: fake, now: () => now });
    const ctx = { deviceId: 'd', mac: 'm', now: () => now, log: () => {}, ended: () => {} };
    try {
      card.play({ channel: 0, url: SRT, stream_id: 'p1', start_ts: FROM, end_ts: FROM + 100 }, ctx);
      expect(card.status(0)).toEqual({ status: 'playing', url: SRT, pos: FROM, speed: 1 });
      now += 10_000;
      expect(card.status(0).pos).toBe(FROM + 10);
      card.control({ channel: 0, op: 'pause', stream_id: 'p1' }, ctx);
      now += 10_000;
      expect(card.status(0)).toMatchObject({ status: 'pausing', pos: FROM + 10 });
      card.control({ channel: 0, op: 'resume', stream_id: 'another' }, ctx); // not this playback's
      expect(card.status(0).status).toBe('pausing');
      card.control({ channel: 0, op: 'seek', pos: FROM + 50 }, ctx);
      card.control({ channel: 0, op: 'speed', speed: 4 }, ctx);
      card.control({ channel: 0, op: 'resume' }, ctx);
      now += 5_000;
      expect(card.status(0)).toMatchObject({ status: 'playing', pos: FROM + 70, speed: 4 });
      now += 60_000;
      expect(card.status(0).pos).toBe(FROM + 100);
      card.control({ channel: 0, op: 'stop', stream_id: 'p1' }, ctx);
      expect(card.status(0)).toEqual({ status: 'stopped' });
      expect(card.has(0)).toBe(false);
    } finally {
      card.stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
