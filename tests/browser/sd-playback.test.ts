/**
 * The SD-card panel in Chromium against a real platform: Alice's simulated camera has an SD card
 * whose recordings it renders with FFmpeg and pushes over SRT (device/sd-card.ts); the page plays
 * the platform's WSS relay with mpegts.js, pauses, seeks and changes speed, and shows the position
 * the camera reports. Bob's camera has no card: the panel stays hidden.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { ffmpegLive } from '../../device/index.ts';
import { SdCard } from '../../device/sd-card.ts';
import { json, launchChromium, screenshot, signedInPage, startConsoleWorld, type ConsoleWorld, type PageProblems } from './helpers.ts';

/** A platform, FFmpeg rendering recordings, and a browser playing them. */
setDefaultTimeout(90_000);

let w: ConsoleWorld;
let browser: Browser;
let alice: Page;
let problems: PageProblems;

const currentTime = (page: Page) => page.evaluate(() => document.querySelector<HTMLVideoElement>('#sdcard video')!.currentTime);
const shownPos = async (page: Page) => Number(await page.getByTestId('sd-pos').getAttribute('data-pos'));
/** A `datetime-local` value of a time, in the browser's zone (UTC under the test's Chromium). */
const localValue = (page: Page, ms: number) => page.evaluate((t) => new Date(t - new Date(t).getTimezoneOffset() * 60_000).toISOString().slice(0, 19), ms);

beforeAll(async () => {
  [w, browser] = await Promise.all([
    startConsoleWorld({ media: { alice: { ...ffmpegLive(), sdCard: new SdCard() } }, cameras: { bob: { disk: { state: 'no_card' } } } }),
    launchChromium(),
  ]);
  ({ page: alice, problems } = await signedInPage(browser, w.p.url, 'alice', w.users.alice));
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
});

describe('SD-card panel', () => {
  const from = Math.floor(Date.now() / 1000) - 7200;

  it('plays a range of the card: the video advances and the position is the camera’s', async () => {
    await alice.goto(`${w.p.url}/cameras/CAM-ALICE`);
    const panel = alice.locator('#sdcard');
    await panel.waitFor({ state: 'visible', timeout: 20_000 });
    await panel.getByLabel('From').fill(await localValue(alice, from * 1000));
    await panel.getByLabel('To').fill(await localValue(alice, (from + 600) * 1000));
    await panel.getByRole('button', { name: 'Play' }).click();
    const badge = alice.getByTestId('sd-state');
    await alice.waitForFunction(() => document.querySelector('[data-testid="sd-state"]')?.getAttribute('data-state') === 'active.playing', null, {
      timeout: 30_000,
    });
    await alice.waitForFunction(() => (document.querySelector<HTMLVideoElement>('#sdcard video')?.currentTime ?? 0) > 0.5, null, { timeout: 30_000 });
    const t1 = await currentTime(alice);
    await Bun.sleep(2_000);
    expect((await currentTime(alice)) - t1).toBeGreaterThan(1);
    const pos = await shownPos(alice);
    expect(pos).toBeGreaterThanOrEqual(from);
    expect(pos).toBeLessThan(from + 60);
    expect(await badge.textContent()).toBe('playing');
    await screenshot(alice, 'sd-playing');
  });

  it('pauses (the position stands), seeks, resumes at speed 4 (it runs fast)', async () => {
    const panel = alice.locator('#sdcard');
    await panel.getByRole('button', { name: 'Pause' }).click();
    await alice.waitForFunction(() => document.querySelector('[data-testid="sd-state"]')?.getAttribute('data-state') === 'active.paused');
    await Bun.sleep(1_500);
    const a = await shownPos(alice);
    await Bun.sleep(1_500);
    expect(await shownPos(alice)).toBe(a);
    await alice.evaluate((v) => {
      const s = document.querySelector<HTMLInputElement>('#sdcard input[name="seek"]')!;
      s.value = String(v);
      s.dispatchEvent(new Event('change'));
    }, from + 300);
    await alice.waitForFunction((v) => document.querySelector('[data-testid="sd-pos"]')?.getAttribute('data-pos') === String(v), from + 300, {
      timeout: 10_000,
    });
    await panel.getByLabel('Speed').selectOption('4');
    await panel.getByRole('button', { name: 'Resume' }).click();
    await alice.waitForFunction(() => document.querySelector('[data-testid="sd-state"]')?.getAttribute('data-state') === 'active.playing');
    await Bun.sleep(2_500);
    expect(await shownPos(alice)).toBeGreaterThanOrEqual(from + 306);
    await screenshot(alice, 'sd-fast');
  });

  it('stops: the playback actor ends stopped', async () => {
    await alice.locator('#sdcard').getByRole('button', { name: 'Stop' }).click();
    const actors = await json(w.p, '/api/actors?type=sdplay');
    const ids = actors.actors.map((a: { id: string }) => a.id) as string[];
    expect(ids.length).toBe(1);
    for (let i = 0; i < 50; i++) {
      if ((await json(w.p, `/api/actors/${ids[0]}`)).stateKey === 'stopped') break;
      await Bun.sleep(200);
    }
    expect((await json(w.p, `/api/actors/${ids[0]}`)).stateKey).toBe('stopped');
    expect(problems.errors).toEqual([]);
  });

  it('shows for a camera that is off from what it said at its last login (GetDiskInfo), and after it logs in again', async () => {
    const cam = w.cams.alice;
    await cam.stop();
    await alice.goto(`${w.p.url}/cameras/CAM-ALICE`);
    await alice.locator('#ptz .pad').waitFor();
    await alice.locator('#sdcard').waitFor({ state: 'visible', timeout: 10_000 });
    await cam.start();
    await alice.reload();
    await alice.locator('#sdcard').waitFor({ state: 'visible', timeout: 30_000 });
  });

  it('stays hidden for a camera without a card', async () => {
    const { page: bob } = await signedInPage(browser, w.p.url, 'bob', w.users.bob);
    await bob.goto(`${w.p.url}/cameras/CAM-BOB`);
    await bob.locator('text=Connected').waitFor();
    await Bun.sleep(1_000);
    expect(await bob.locator('#sdcard').isVisible()).toBe(false);
  });
});
