/**
 * The console for camera owners, in Chromium against a real platform and simulated cameras:
 * sign-in, a user sees only their camera, live updates, PTZ reaching the camera, snapshots,
 * and phone widths.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, newContext, PHONE, screenshot, signIn, startConsoleWorld, type ConsoleWorld } from './helpers.ts';

/** A platform, two cameras and a browser. */
setDefaultTimeout(60_000);

let w: ConsoleWorld;
let browser: Browser;
let alice: Page;

beforeAll(async () => {
  [w, browser] = await Promise.all([startConsoleWorld(), launchChromium()]);
  alice = await (await newContext(browser)).newPage();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
});

describe('camera owners', () => {
  it('signs in with a user name and password and sees only their own camera', async () => {
    await signIn(alice, w.p.url, 'alice', w.users.alice);
    await alice.locator('li.camera[data-device="CAM-ALICE"]').waitFor();
    expect(await alice.locator('li.camera').count()).toBe(1);
    expect(await alice.locator('li.camera[data-device="CAM-BOB"]').count()).toBe(0);
    expect(await alice.locator('li.camera .badge').innerText()).toBe('online');
    const cookies = await alice.context().cookies();
    expect(cookies.find((c) => c.name === '__Host-h627-session')).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });
    await screenshot(alice, 'cameras-user');
    // Another owner's camera does not exist for her.
    await alice.goto(`${w.p.url}/cameras/CAM-BOB`);
    // The page's cards may show the same error for a moment, before the page replaces them with its own.
    await alice.getByRole('link', { name: 'Back to the cameras' }).waitFor();
    await alice.getByText('no device CAM-BOB').waitFor();
  });

  it('shows a wrong password clearly', async () => {
    const page = await (await newContext(browser)).newPage();
    await page.goto(`${w.p.url}/`);
    await page.getByLabel('User name').fill('bob');
    await page.getByLabel('Password').fill('not-his-password');
    await page.getByLabel('Password').press('Enter'); // the keyboard alone is enough
    await page.getByText('wrong user name or password').waitFor();
    await screenshot(page, 'sign-in-refused');
    await page.context().close();
  });

  it('updates the camera list live, without reloading', async () => {
    await alice.goto(`${w.p.url}/`);
    await alice.locator('li.camera').waitFor();
    w.cams.alice.camera.battery!.set(35);
    await alice.locator('li.camera dd', { hasText: '35 %' }).waitFor();
    await screenshot(alice, 'cameras-live');
  });

  it('sends PTZ moves that reach the camera, with the chosen speed', async () => {
    await alice.goto(`${w.p.url}/cameras/CAM-ALICE`);
    await alice.locator('#ptz .pad').waitFor();
    await alice.locator('text=Connected').waitFor();
    const before = w.cams.alice.received.filter((m) => m.name === 'CtrlPTZ').length;
    await alice.getByRole('button', { name: 'Left', exact: true }).click();
    await w.cams.alice.waitFor((d) => d.received.filter((m) => m.name === 'CtrlPTZ').length >= before + 2, 10_000);
    const ptz = w.cams.alice.received
      .filter((m) => m.name === 'CtrlPTZ')
      .slice(before)
      .map((m) => m.params);
    expect(ptz[0]).toMatchObject({ channel: 0, op: 'left', value: 50 });
    expect(ptz[1]).toMatchObject({ channel: 0, op: 'stop' });
    await alice.locator('#ptz .status', { hasText: 'Stopped.' }).waitFor();
    // Presets: set one here and read the list back.
    await alice.getByLabel('Preset number').fill('7');
    await alice.getByRole('button', { name: 'Set preset here' }).click();
    await alice.locator('.presets li', { hasText: 'Preset 7' }).waitFor();
    await screenshot(alice, 'camera-ptz');
  });

  it('takes a snapshot and shows the picture', async () => {
    await alice.getByRole('button', { name: 'Take a snapshot' }).click();
    const img = alice.locator('img.snapshot');
    await img.waitFor();
    await alice.waitForFunction(() => ((document.querySelector('img.snapshot') as HTMLImageElement | null)?.naturalWidth ?? 0) > 0);
    await alice.locator('#snapshot .status', { hasText: 'Snapshot taken.' }).waitFor();
    await screenshot(alice, 'camera-snapshot');
  });

  it("shows the camera's own error when it refuses a setting", async () => {
    await alice.getByRole('button', { name: 'Read configuration' }).click();
    const level = alice.locator('#cfg-log_level');
    await level.waitFor();
    await alice.evaluate(() => {
      const input = document.querySelector<HTMLSelectElement>('#cfg-log_level')!;
      input.dataset.path = '["no_such_setting"]'; // a setting this camera does not have
    });
    await level.selectOption('1');
    await alice.getByRole('button', { name: 'Save changes' }).click();
    await alice.locator('#config .status.error', { hasText: 'The camera refused: error 13' }).waitFor();
    await screenshot(alice, 'camera-error');
  });

  it('works at phone width', async () => {
    const page = await (await newContext(browser, PHONE)).newPage();
    await signIn(page, w.p.url, 'alice', w.users.alice);
    await page.goto(`${w.p.url}/cameras/CAM-ALICE`);
    await page.locator('#ptz .pad').waitFor();
    await page.locator('text=Connected').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, 'camera-phone');
    await page.context().close();
  });
});
