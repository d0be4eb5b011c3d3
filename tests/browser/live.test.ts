/**
 * Live video in the console, in Chromium against a real platform: the simulated camera pushes
 * H.264 with FFmpeg over SRT (device/live.ts), the page plays the platform's WSS relay with
 * mpegts.js through Media Source Extensions under the console's strict CSP. Also the failure a
 * camera without live support gives (PushLive answered with err 101), with the stream actor's reason.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { ffmpegLive } from '../../device/index.ts';
import { json, launchChromium, screenshot, signedInPage, startConsoleWorld, type ConsoleWorld, type PageProblems } from './helpers.ts';

/** A platform, FFmpeg pushing live video, and a browser playing it. */
setDefaultTimeout(90_000);

/** Linger after the last viewer left, seconds (short, so the test sees the stream stop). */
const LINGER_S = 3;

let w: ConsoleWorld;
let browser: Browser;
let alice: Page;
let problems: PageProblems;

const currentTime = (page: Page) => page.evaluate(() => document.querySelector<HTMLVideoElement>('video.live-video')!.currentTime);

beforeAll(async () => {
  [w, browser] = await Promise.all([
    // Alice's camera pushes live video; Bob's has no live handler (PushLive answers err 101).
    startConsoleWorld({ media: { alice: ffmpegLive() }, env: { LIVE_LINGER_S: String(LINGER_S) } }),
    launchChromium(),
  ]);
  ({ page: alice, problems } = await signedInPage(browser, w.p.url, 'alice', w.users.alice));
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
});

describe('live video', () => {
  it('plays H.264 through Media Source Extensions in this Chromium', async () => {
    // Debian's chromium decodes H.264 through its FFmpeg; if it did not, live could not work here.
    const support = await alice.evaluate(() => ({
      mse: typeof MediaSource !== 'undefined',
      h264: typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('video/mp4; codecs="avc1.42E01E"'),
    }));
    expect(support).toEqual({ mse: true, h264: true });
    await screenshot(alice, 'live-codecs');
  });

  it("starts live and the video element's currentTime advances", async () => {
    await alice.goto(`${w.p.url}/cameras/CAM-ALICE`);
    await alice.locator('text=Connected').waitFor();
    await alice.getByRole('button', { name: 'Start live' }).click();
    await alice.locator('#live .status.ok', { hasText: 'Live.' }).waitFor({ timeout: 30_000 });
    const badge = alice.getByTestId('stream-state');
    expect(await badge.getAttribute('data-state')).toMatch(/^live\./);
    const t1 = await currentTime(alice);
    await Bun.sleep(2_000);
    const t2 = await currentTime(alice);
    expect(t2 - t1).toBeGreaterThan(1);
    const frames = await alice.evaluate(() => document.querySelector<HTMLVideoElement>('video.live-video')!.getVideoPlaybackQuality().totalVideoFrames);
    expect(frames).toBeGreaterThan(25);
    // The platform counts the page as a WSS viewer of the stream the camera pushes.
    const streamId = (await badge.getAttribute('data-stream'))!;
    const actor = await json(w.p, `/api/actors/stream:${streamId}`);
    expect(Object.values(actor.context.viewers as Record<string, { kind: string }>).map((v) => v.kind)).toContain('ws');
    expect(w.cams.alice.received.filter((m) => m.name === 'PushLive').at(-1)!.params).toMatchObject({ channel: 0, stream_id: streamId });
    await screenshot(alice, 'camera-live');
    // mpegts.js transmuxes in a blob: worker, which the CSP allows (worker-src 'self' blob:).
    expect(alice.workers().map((wk) => wk.url())).toContainEqual(expect.stringMatching(/^blob:/));
    expect(await problems.csp()).toEqual([]);
    expect(problems.errors).toEqual([]);
  });

  it('stops on demand: leaves with DELETE, the stream lingers, then the camera is told to stop', async () => {
    const streamId = (await alice.getByTestId('stream-state').getAttribute('data-stream'))!;
    await alice.getByRole('button', { name: 'Stop live' }).click();
    await alice.locator('#live .status.ok', { hasText: 'Stopped.' }).waitFor();
    await alice.locator('[data-testid="stream-state"][data-state="live.lingering"]').waitFor();
    await alice.locator('[data-testid="stream-state"][data-state="stopped"]').waitFor({ timeout: (LINGER_S + 15) * 1000 });
    expect(w.cams.alice.received.some((m) => m.name === 'StopLive' && (m.params as { stream_id: string }).stream_id === streamId)).toBe(true);
    // The player is gone: no source, nothing buffered.
    expect(
      await alice.evaluate(() => {
        const v = document.querySelector<HTMLVideoElement>('video.live-video')!;
        return { src: v.getAttribute('src'), readyState: v.readyState };
      }),
    ).toEqual({ src: null, readyState: 0 });
    await alice.locator('#live .video-note', { hasText: 'Not playing.' }).waitFor();
    await screenshot(alice, 'camera-live-stopped');
  });

  it('leaves the stream when the page is left', async () => {
    await alice.getByRole('button', { name: 'Start live' }).click();
    await alice.locator('#live .status.ok', { hasText: 'Live.' }).waitFor({ timeout: 30_000 });
    const streamId = (await alice.getByTestId('stream-state').getAttribute('data-stream'))!;
    await alice.getByRole('link', { name: 'Cameras' }).click();
    await alice.getByRole('heading', { level: 1, name: 'Cameras' }).waitFor();
    for (let i = 0; i < 100; i++) {
      const a = await json(w.p, `/api/actors/stream:${streamId}`);
      if (Object.keys(a.context.viewers).length === 0) break;
      await Bun.sleep(100);
    }
    expect(Object.keys((await json(w.p, `/api/actors/stream:${streamId}`)).context.viewers)).toEqual([]);
    await screenshot(alice, 'camera-live-left');
  });

  it('says why when the camera cannot push live video (PushLive err 101)', async () => {
    const { page: bob, problems: bobProblems } = await signedInPage(browser, w.p.url, 'bob', w.users.bob);
    await bob.goto(`${w.p.url}/cameras/CAM-BOB`);
    await bob.locator('text=Connected').waitFor();
    await bob.getByRole('button', { name: 'Start live' }).click();
    const error = bob.locator('#live .status.error');
    await error.waitFor({ timeout: 30_000 });
    const text = await error.innerText();
    expect(text).toContain('Live video failed: PushLive failed');
    expect(text).toContain('(101)');
    expect(await bob.getByTestId('stream-state').getAttribute('data-state')).toBe('failed');
    expect(await bob.getByRole('button', { name: 'Start live' }).isEnabled()).toBe(true);
    await screenshot(bob, 'camera-live-failed');
    expect(await bobProblems.csp()).toEqual([]);
    await bob.context().close();
  });
});
