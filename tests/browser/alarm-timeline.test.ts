/**
 * Alarms on the recordings timeline, in Chromium against a real platform (issue #23 point 3): the owner turns on
 * "record after each alarm" in the recordings panel, the simulated camera raises a motion alarm, the platform records
 * it (the simulator's FFmpeg recorder) and stops by itself; the alarm is marked on the timeline and listed, and "Play
 * from the alarm" (from the list, a click on the marker, or the keyboard) plays the recording from a few seconds
 * before it. Screenshots at desktop and phone width go to the test artifacts and docs/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { Recorder } from '../../device/index.ts';
import { ALARM_PREROLL_S } from '../../web/src/camera/alarms.ts';
import { launchChromium, PHONE, signedInPage, startConsoleWorld, type ConsoleWorld, type PageProblems } from './helpers.ts';
import { docsShot, playsRecording } from './playback-tools.ts';

setDefaultTimeout(120_000);

/** Seconds recorded after the alarm (ALARM_RECORD_S_MIN). */
const RECORD_S = 5;
const MOTION = 3;

let w: ConsoleWorld;
let browser: Browser;
let alice: Page;
let problems: PageProblems;
const recorder = new Recorder({ tls: { rejectUnauthorized: false } });
/** When the alarm was raised, epoch seconds. */
let alarmAt = 0;

/** The recordings card alone (the camera page is long), into the artifacts and docs/screenshots/. */
const cardShot = (page: Page, name: string) => docsShot(page, '#recordings', name);
/** Wait until the recorded video plays from the alarm, and return the wall-clock time it shows first. */
const playsFromAlarm = playsRecording;

beforeAll(async () => {
  [w, browser] = await Promise.all([startConsoleWorld({ media: { alice: recorder.hooks } }), launchChromium()]);
  ({ page: alice, problems } = await signedInPage(browser, w.p.url, 'alice', w.users.alice));
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
});

describe('alarms on the recordings timeline', () => {
  it('turns on recording after alarms, and an alarm records by itself and stops', async () => {
    await alice.goto(`${w.p.url}/cameras/CAM-ALICE`);
    await alice.getByTestId('alarm-recording').filter({ hasText: 'Off' }).waitFor();
    await alice.getByLabel('Record after each alarm').check();
    await alice.getByLabel('Seconds after the last alarm').fill(String(RECORD_S));
    await alice.getByRole('button', { name: 'Save', exact: true }).click();
    await alice.locator('#recordings .status.ok', { hasText: `each alarm records ${RECORD_S} s` }).waitFor();
    await alice
      .getByTestId('alarm-recording')
      .filter({ hasText: `a recording of ${RECORD_S} s` })
      .waitFor();

    alarmAt = Date.now() / 1000;
    await w.cams.alice.camera.raiseAlarm(MOTION);
    await alice.locator('[data-testid="recording-state"][data-state="recording"]').waitFor({ timeout: 30_000 });
    await alice.locator('[data-testid="recording-state"][data-state="stopped"]').waitFor({ timeout: 30_000 });
    await recorder.idle(30_000);
    await alice
      .getByTestId('day-summary')
      .filter({ hasText: /in \d+ segments?/ })
      .waitFor({ timeout: 30_000 });
  });

  it('marks the alarm on the timeline and lists it; "Play from the alarm" plays from a few seconds before it', async () => {
    await alice.locator('.db-alarm').first().waitFor({ timeout: 15_000 });
    expect(await alice.locator('.db-alarm').count()).toBe(1);
    await alice.getByTestId('alarm-summary').filter({ hasText: '1 alarm on this day' }).waitFor();
    const row = alice.getByTestId('day-alarms').locator('tbody tr');
    expect(await row.count()).toBe(1);
    expect(await row.first().innerText()).toContain('motion start');

    await row
      .first()
      .getByRole('button', { name: /Play from the motion alarm/ })
      .click();
    await alice.locator('#recordings .status', { hasText: `playing from ${ALARM_PREROLL_S} s before it` }).waitFor();
    const shown = await playsFromAlarm(alice);
    // From the preroll before the alarm, or (nothing was recorded that early: the camera keeps no pre-recording) the
    // first recorded second after it, which the alarm started.
    expect(shown).toBeGreaterThanOrEqual(alarmAt - ALARM_PREROLL_S - 2);
    expect(shown).toBeLessThan(alarmAt + 5);
    expect(await problems.csp()).toEqual([]);
    expect(problems.errors).toEqual([]);
  });

  it('plays from the alarm on a click on its marker and from the keyboard (N, then A)', async () => {
    await alice.getByRole('button', { name: 'Stop playback' }).click();
    await alice.locator('.db-alarm').first().click();
    await playsFromAlarm(alice);
    await alice.getByRole('button', { name: 'Stop playback' }).click();

    const bar = alice.getByTestId('timeline');
    await bar.focus();
    await alice.keyboard.press('Home');
    await alice.keyboard.press('n');
    expect(await bar.getAttribute('aria-valuetext')).toContain('motion alarm');
    // Zoomed around the alarm: the recording and its mark fill the bar (what the screenshots show).
    for (let i = 0; i < 4; i++) await alice.keyboard.press('+');
    await alice.keyboard.press('a');
    await playsFromAlarm(alice);
    await cardShot(alice, 'recordings-alarms-desktop');
  });

  it("plays from an alarm of the page's Alarms card, showing the alarm's day first", async () => {
    await alice.getByRole('button', { name: 'Stop playback' }).click();
    await alice.getByRole('button', { name: 'Previous day' }).click();
    await alice.getByTestId('alarm-summary').filter({ hasText: 'No alarms on this day' }).waitFor();
    await alice
      .locator('#alarms')
      .getByRole('button', { name: /Play from the motion alarm/ })
      .first()
      .click();
    await alice.locator('#recordings .status', { hasText: `playing from ${ALARM_PREROLL_S} s before it` }).waitFor();
    const shown = await playsFromAlarm(alice);
    expect(shown).toBeGreaterThanOrEqual(alarmAt - ALARM_PREROLL_S - 2);
    expect(shown).toBeLessThan(alarmAt + 5);
    await alice.getByTestId('alarm-summary').filter({ hasText: '1 alarm on this day' }).waitFor();
  });

  it('shows the marks and plays from the alarm at phone width', async () => {
    const { page, problems: phoneProblems } = await signedInPage(browser, w.p.url, 'alice', w.users.alice, PHONE);
    await page.goto(`${w.p.url}/cameras/CAM-ALICE`);
    await page.locator('.db-alarm').first().waitFor({ timeout: 15_000 });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(PHONE.width);
    await page
      .getByTestId('day-alarms')
      .getByRole('button', { name: /Play from the motion alarm/ })
      .first()
      .click();
    await playsFromAlarm(page);
    const bar = page.getByTestId('timeline');
    await bar.focus();
    for (let i = 0; i < 4; i++) await page.keyboard.press('+');
    await cardShot(page, 'recordings-alarms-phone');
    expect(await phoneProblems.csp()).toEqual([]);
    expect(phoneProblems.errors).toEqual([]);
    await page.context().close();
  });
});
