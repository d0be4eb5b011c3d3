/**
 * The console offers only what a camera can do (issue #22 point 4), in Chromium against a real platform and
 * simulated cameras: Alice's camera has PTZ, a battery and an SD card; Bob's has none of them. The page reads
 * what each said at login (GetCap, GetDiskInfo).
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newContext, screenshot, signIn, startConsoleWorld, type ConsoleWorld } from './helpers.ts';

setDefaultTimeout(60_000);

let w: ConsoleWorld;
let browser: Browser;

beforeAll(async () => {
  [w, browser] = await Promise.all([
    startConsoleWorld({ cameras: { bob: { capabilities: { ptz: false, battery: false }, disk: { state: 'no_card' } } } }),
    launchChromium(),
  ]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
});

/** A signed-in page on a camera, once the camera's capabilities are drawn. */
async function cameraPage(owner: 'alice' | 'bob'): Promise<Page> {
  const page = await (await newContext(browser)).newPage();
  await signIn(page, w.p.url, owner, w.users[owner]);
  await page.goto(`${w.p.url}/cameras/CAM-${owner.toUpperCase()}`);
  await page.locator('.page-head .badge[data-state="online.ready"]').waitFor({ timeout: 30_000 });
  await page.locator('#status dd', { hasText: /^(mains|battery: may sleep)$/ }).waitFor();
  return page;
}

/** The text of a fact of the status card. */
const fact = (page: Page, name: string) =>
  page
    .locator('#status dt', { hasText: new RegExp(`^${name}$`) })
    .locator('+ dd')
    .innerText();

describe('capabilities in the console', () => {
  it('shows the PTZ pad, SD-card formatting and "may sleep" for a camera that has them', async () => {
    const page = await cameraPage('alice');
    await page.locator('#ptz .pad').waitFor();
    expect(await page.getByRole('button', { name: 'Up', exact: true }).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Format the SD card' }).isVisible()).toBe(true);
    expect(await fact(page, 'Power')).toBe('battery: may sleep');
    expect(await fact(page, 'SD card')).toMatch(/^normal, \d+ of \d+ MB free$/);
    expect(await fact(page, 'Capabilities')).toStartWith('PTZ, battery, https');
    await screenshot(page, 'capabilities-ptz');
    await page.context().close();
  });

  it('leaves out the PTZ pad and SD-card formatting for a camera without them', async () => {
    const page = await cameraPage('bob');
    expect(await page.locator('#ptz').isHidden()).toBe(true);
    // Absent for the user and for assistive technology alike (hidden elements have no role).
    expect(await page.getByRole('button', { name: 'Up', exact: true }).count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Pan, tilt, zoom' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Format the SD card' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Disk (GetDiskInfo)' }).isVisible()).toBe(true); // asking is harmless
    expect(await fact(page, 'Power')).toBe('mains');
    expect(await fact(page, 'SD card')).toBe('none');
    expect(await fact(page, 'Capabilities')).not.toContain('PTZ');
    // Nothing on the page sent a PTZ command to the camera.
    expect(w.cams.bob.received.filter((m) => m.name === 'CtrlPTZ' || m.name === 'GetPTZPresetList')).toEqual([]);
    await screenshot(page, 'capabilities-no-ptz');
    await page.context().close();
  });
});
