/**
 * The configuration form (issue #23 point 7), in Chromium against a real platform and a simulated
 * camera: generated from the catalog's schema (labels, units, ranges, choices), a saved field reaches
 * the camera alone and the page says "Saved.", a read-only field cannot be edited and is never sent,
 * an out-of-range value is refused in the browser before anything is sent, and the camera's refusal
 * names the field by its label.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { SimulatedDevice } from '../../device/index.ts';
import { launchChromium, newContext, PHONE, screenshot, signIn, startConsoleWorld, trackProblems, type ConsoleWorld, type PageProblems } from './helpers.ts';

setDefaultTimeout(60_000);

const DOCS_SCREENSHOTS = join(import.meta.dir, '..', '..', 'docs', 'screenshots');

let w: ConsoleWorld;
let browser: Browser;
let page: Page;
let problems: PageProblems;

beforeAll(async () => {
  [w, browser] = await Promise.all([
    // A speaker and a motion detector, so the form has percentages to set.
    startConsoleWorld({ cameras: { alice: { capabilities: { ptz: true, battery: true, audio_out: true, alarms: { motion: true } } } } }),
    launchChromium(),
  ]);
  page = await (await newContext(browser)).newPage();
  problems = await trackProblems(page);
  await signIn(page, w.p.url, 'alice', w.users.alice);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
});

const setConfigs = (dev: SimulatedDevice) => dev.received.filter((m) => m.name === 'SetConfig');
const status = () => page.locator('#config .status');

/** The camera page with its configuration read. */
async function readConfiguration(p: Page): Promise<void> {
  await p.goto(`${w.p.url}/cameras/CAM-ALICE`);
  await p.locator('.page-head .badge[data-state="online.ready"]').waitFor({ timeout: 30_000 });
  await p.getByRole('button', { name: 'Read configuration' }).click();
  await p.locator('#config .status', { hasText: 'Configuration read.' }).waitFor();
}

describe('the configuration form', () => {
  it('is drawn from the catalog: labels with units, ranges, choices, no raw keys', async () => {
    await readConfiguration(page);
    const form = page.locator('#config form');
    await expect(form.getByLabel('Speaker volume (%)').inputValue()).resolves.toBe('60');
    expect(await form.getByLabel('Speaker volume (%)').getAttribute('max')).toBe('100');
    expect(await page.locator('#cfg-channls-0-video_encoding-fps').getAttribute('readonly')).not.toBeNull();
    expect(await form.getByLabel('Quality').locator('option').allInnerTexts()).toEqual([
      'Low (640×360)',
      'Standard (854×480)',
      'HD (1280×720)',
      'Full HD (1920×1080)',
    ]);
    expect(await form.getByLabel('Log level').locator('option:checked').innerText()).toBe('Info');
    const legends = await form.locator('legend').allInnerTexts();
    expect(legends).toEqual(expect.arrayContaining(['Channel 0', 'Video', 'Audio', 'Picture', 'Alarm detectors', 'Motion detection']));
    expect(legends).not.toContain('channls');
    const labels = await form.locator('label').allInnerTexts();
    expect(labels.some((l) => /horflip|verflip|channls/.test(l))).toBe(false);
  });

  it('saves only the changed fields and says "Saved."', async () => {
    const dev = w.cams.alice;
    const before = setConfigs(dev).length;
    await page.getByLabel('Flip horizontally').check();
    await page.getByLabel('Speaker volume (%)').fill('40');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#config .status.ok', { hasText: /^Saved\.$/ }).waitFor();
    await dev.waitFor((d) => setConfigs(d).length > before, 5_000);
    expect(setConfigs(dev).at(-1)!.params).toEqual({ channls: { '0': { image: { horflip: true }, audio_out_volume: 40 } } });
    // The form is read again afterwards, quietly: the message stays "Saved." and the values are the camera's.
    await page.waitForFunction(() => document.querySelectorAll('[data-kind]').length > 0);
    await Bun.sleep(500);
    expect(await status().innerText()).toBe('Saved.');
    expect(await page.getByLabel('Speaker volume (%)').inputValue()).toBe('40');
    expect(await page.getByLabel('Flip horizontally').isChecked()).toBe(true);
    await screenshot(page, 'camera-config-saved');
  });

  it('shows read-only fields read-only and never sends them', async () => {
    const fps = page.locator('#cfg-channls-0-video_encoding-fps');
    expect(await fps.isEditable()).toBe(false);
    expect(await fps.inputValue()).toBe('25');
    await page.locator('#config label[for="cfg-channls-0-video_encoding-fps"]', { hasText: 'Frame rate (fps)' }).waitFor();
    await page.locator('#cfg-channls-0-video_encoding-fps-hint', { hasText: 'read-only' }).waitFor();
    // Even changed behind the page's back, it is not sent.
    const before = setConfigs(w.cams.alice).length;
    await fps.evaluate((el: HTMLInputElement) => (el.value = '1'));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#config .status', { hasText: 'Nothing changed.' }).waitFor();
    expect(setConfigs(w.cams.alice).length).toBe(before);
  });

  it('refuses an out-of-range value in the browser, before anything is sent', async () => {
    await readConfiguration(page);
    const before = setConfigs(w.cams.alice).length;
    const sensitivity = page.locator('#cfg-channls-0-alarms-motion-sensitivity');
    expect(await sensitivity.getAttribute('min')).toBe('0');
    expect(await sensitivity.getAttribute('max')).toBe('100');
    await sensitivity.fill('150');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#config .status.error', { hasText: /^Not saved: Channel 0 › Alarm detectors › Motion detection › Sensitivity: / }).waitFor();
    expect(await sensitivity.getAttribute('aria-invalid')).toBe('true');
    expect(await sensitivity.evaluate((el: HTMLInputElement) => el.validity.rangeOverflow)).toBe(true);
    await Bun.sleep(500);
    expect(setConfigs(w.cams.alice).length).toBe(before);
    await screenshot(page, 'camera-config-out-of-range');
  });

  it("shows the camera's refusal with the field's label", async () => {
    await readConfiguration(page);
    await page.locator('#cfg-channls-0-video_encoding-encoder').fill('h265'); // the simulator encodes h264 only
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#config .status.error', { hasText: /^Channel 0 › Video › Encoder: The camera refused: error 13, unsupported configuration/ }).waitFor();
    expect(await page.locator('#cfg-channls-0-video_encoding-encoder').getAttribute('aria-invalid')).toBe('true');
    await page.locator('#config').scrollIntoViewIfNeeded();
    await screenshot(page, 'camera-config-refused');
    await page.locator('#config').screenshot({ path: join(DOCS_SCREENSHOTS, 'camera-config.png') });
    expect(await problems.csp()).toEqual([]);
    expect(problems.errors).toEqual([]);
  });

  it('works at phone width', async () => {
    const phone = await (await newContext(browser, PHONE)).newPage();
    await signIn(phone, w.p.url, 'alice', w.users.alice);
    await readConfiguration(phone);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await phone.locator('#config').scrollIntoViewIfNeeded();
    await screenshot(phone, 'camera-config-phone');
    await phone.locator('#config').screenshot({ path: join(DOCS_SCREENSHOTS, 'camera-config-phone.png') });
    await phone.context().close();
  });
});
