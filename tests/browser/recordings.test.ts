/**
 * Recordings in the console, in Chromium against a real platform: recording on and off from the
 * page (the simulator's recorder makes real FFmpeg segments and runs the Vr cycle), the day's
 * timeline filling in as segments are confirmed, playing from a click on it with hls.js (and from
 * the keyboard), a range downloaded as one MPEG-TS file, live and recorded video at once, and
 * phone widths.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ffmpegLive, Recorder } from '../../device/index.ts';
import {
  ARTIFACTS,
  launchChromium,
  newContext,
  PHONE,
  screenshot,
  signedInPage,
  signIn,
  startConsoleWorld,
  type ConsoleWorld,
  type PageProblems,
} from './helpers.ts';

/** A platform, a recording camera and a browser; recording takes real seconds. */
setDefaultTimeout(120_000);

/** Segment length the test records with, seconds (short: a few segments in a few seconds). */
const SEG_S = 2;
/** Segments recorded before stopping. */
const SEGMENTS = 3;

let w: ConsoleWorld;
let browser: Browser;
let alice: Page;
let problems: PageProblems;
const recorder = new Recorder({ tls: { rejectUnauthorized: false } });

/** The recorded video's playback position, seconds. */
const currentTime = (page: Page) => page.evaluate(() => document.querySelector<HTMLVideoElement>('video.rec-video')!.currentTime);
/** Segments the page's day summary reports. */
const segmentsShown = async (page: Page) => Number((await page.getByTestId('day-summary').innerText()).match(/in (\d+) segments/)?.[1] ?? 0);
/** The timeline cursor as epoch seconds (aria-valuenow counts from the day's midnight). */
const cursorAt = (page: Page) =>
  page.evaluate(() => {
    const day = document.querySelector<HTMLInputElement>('input[name="day"]')!.value.split('-').map(Number) as [number, number, number];
    const midnight = new Date(day[0], day[1] - 1, day[2]).getTime() / 1000;
    return midnight + Number(document.querySelector('[data-testid="timeline"]')!.getAttribute('aria-valuenow'));
  });

async function expectPlaying(page: Page) {
  await page.locator('#recordings .status.ok', { hasText: 'Playing from' }).waitFor({ timeout: 30_000 });
  const t1 = await currentTime(page);
  await Bun.sleep(1_500);
  const t2 = await currentTime(page);
  expect(t2 - t1).toBeGreaterThan(0.5);
}

beforeAll(async () => {
  [w, browser] = await Promise.all([startConsoleWorld({ media: { alice: { ...ffmpegLive(), ...recorder.hooks } } }), launchChromium()]);
  ({ page: alice, problems } = await signedInPage(browser, w.p.url, 'alice', w.users.alice));
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
});

/** The day (in the browser's time zone) on which the first test recorded. */
let recordedDay = '';

describe('recordings', () => {
  it('turns recording on and off, and the timeline fills in as segments arrive', async () => {
    await alice.goto(`${w.p.url}/cameras/CAM-ALICE`);
    await alice.locator('[data-testid="recording-state"][data-state="never"]').waitFor();
    await alice.getByText('Options').click();
    await alice.getByLabel('Segment length (s)').fill(String(SEG_S));
    await alice.getByRole('button', { name: 'Start recording' }).click();
    await alice.locator('[data-testid="recording-state"][data-state="recording"]').waitFor({ timeout: 30_000 });
    await alice.locator('#recordings .status.ok', { hasText: 'The camera is recording.' }).waitFor();
    // No reload: the page lists again when the feed says a segment was confirmed.
    for (let i = 0; i < 300 && (await segmentsShown(alice)) < SEGMENTS; i++) await Bun.sleep(100);
    expect(await segmentsShown(alice)).toBeGreaterThanOrEqual(SEGMENTS);
    await alice.getByRole('button', { name: 'Stop recording' }).click();
    await alice.locator('[data-testid="recording-state"][data-state="stopped"]').waitFor({ timeout: 30_000 });
    await recorder.idle(30_000);
    expect(w.cams.alice.received.find((m) => m.name === 'StartRecord')!.params).toMatchObject({ channel: 0, seg_duration: SEG_S });
    expect(await alice.locator('.db-range').count()).toBeGreaterThanOrEqual(1);
    expect(await alice.locator('.stretches tbody tr').count()).toBeGreaterThanOrEqual(1);
    recordedDay = await alice.locator('input[name="day"]').inputValue();
    await screenshot(alice, 'camera-recording-on-off');
  });

  it('plays a recording from the timeline', async () => {
    // Zoom in around the latest recording with the keyboard, then click inside it.
    await alice.getByTestId('timeline').focus();
    for (let i = 0; i < 4; i++) await alice.keyboard.press('+');
    const range = alice.locator('.db-range').last();
    const box = (await range.boundingBox())!;
    expect(box.width).toBeGreaterThan(20); // a few seconds out of two minutes
    await alice.mouse.click(box.x + box.width * 0.6, box.y + box.height / 2);
    await expectPlaying(alice);
    // It played from where the click was: the time shown is the clicked time, plus what played since.
    const clicked = await cursorAt(alice);
    const shown = Number(await alice.getByTestId('playback-time').getAttribute('data-t'));
    expect(shown - clicked).toBeGreaterThan(-0.5);
    expect(shown - clicked).toBeLessThan(5);
    await alice.locator('.db-playhead:not([hidden])').waitFor();
    await screenshot(alice, 'camera-recording-playback');
    // hls.js transmuxes in its worker, loaded from this origin.
    expect(alice.workers().map((wk) => new URL(wk.url()).pathname)).toContainEqual(expect.stringMatching(/^\/assets\/hls\.worker-\w+\.js$/));
    expect(await problems.csp()).toEqual([]);
    expect(problems.errors).toEqual([]);
  });

  it('plays from the keyboard too', async () => {
    await alice.getByRole('button', { name: 'Stop playback' }).click();
    await alice.locator('video.rec-video[hidden]').waitFor({ state: 'attached' });
    await alice.getByTestId('timeline').focus();
    await alice.keyboard.press('Home');
    await alice.keyboard.press('PageDown'); // the first recording of the day
    expect(await alice.getByTestId('timeline').getAttribute('aria-valuetext')).toContain('recorded');
    await alice.keyboard.press('Enter');
    await expectPlaying(alice);
    await screenshot(alice, 'camera-recording-keyboard');
  });

  it('downloads a recorded range as one MPEG-TS file', async () => {
    const [download] = await Promise.all([
      alice.waitForEvent('download'),
      alice
        .locator('.stretches tbody tr')
        .first()
        .getByRole('button', { name: /^Download/ })
        .click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^CAM-ALICE-ch0-.*\.ts$/);
    const file = join(tmpdir(), `h627-download-${process.pid}.m2t`); // not .ts: tsc would read it

    await download.saveAs(file);
    const bytes = readFileSync(file);
    expect(bytes.length).toBeGreaterThan(10_000);
    expect(bytes.length % 188).toBe(0);
    expect(bytes[0]).toBe(0x47); // TS sync byte
    rmSync(file, { force: true });
    await alice.locator('#recordings .status.ok', { hasText: 'as one MPEG-TS file' }).waitFor();
    await screenshot(alice, 'camera-recording-download');
  });

  it('plays live video and a recording side by side', async () => {
    await alice.getByRole('button', { name: 'Start live' }).click();
    await alice.locator('#live .status.ok', { hasText: 'Live.' }).waitFor({ timeout: 30_000 });
    await alice.locator('.stretches tbody tr').first().getByRole('button', { name: /^Play/ }).click();
    await expectPlaying(alice);
    const live = () => alice.evaluate(() => document.querySelector<HTMLVideoElement>('video.live-video')!.currentTime);
    const t1 = await live();
    await Bun.sleep(1_000);
    expect(await live()).toBeGreaterThan(t1 + 0.5);
    await screenshot(alice, 'camera-live-and-recording');
    await alice.getByRole('button', { name: 'Stop live' }).click();
    await alice.locator('#live .status.ok', { hasText: 'Stopped.' }).waitFor();
    expect(await problems.csp()).toEqual([]);
  });

  it('works at phone width', async () => {
    const page = await (await newContext(browser, PHONE)).newPage();
    await signIn(page, w.p.url, 'alice', w.users.alice);
    await page.goto(`${w.p.url}/cameras/CAM-ALICE`);
    // The page opens on today; the file's recordings may be from yesterday when midnight fell in between.
    const day = page.locator('input[name="day"]');
    if ((await day.inputValue()) !== recordedDay) await day.fill(recordedDay);
    await page.locator('.db-range').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.locator('#recordings').screenshot({ path: join(ARTIFACTS, 'camera-recordings-phone.png') });
    await page.context().close();
  });
});
