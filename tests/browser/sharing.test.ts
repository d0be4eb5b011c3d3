/**
 * Sharing in the console (issue #23 point 2; docs/console.md "Sharing"), in Chromium against a real platform and
 * simulated cameras: alice shares her camera with bob from the Share dialog; bob's list shows it with his role, live;
 * his camera page shows only what the role allows, and more when alice makes him an operator; alice ends the share
 * and unbinds the camera after a confirmation. Desktop and phone widths.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { ARTIFACTS, launchChromium, PHONE, type PageProblems, screenshot, signedInPage, startConsoleWorld, type ConsoleWorld } from './helpers.ts';

setDefaultTimeout(60_000);

/** Where the README's and docs' screenshots live. */
const DOCS_SCREENSHOTS = join(import.meta.dir, '..', '..', 'docs', 'screenshots');

let w: ConsoleWorld;
let browser: Browser;
let alice: { page: Page; problems: PageProblems };
let bob: { page: Page; problems: PageProblems };

beforeAll(async () => {
  [w, browser] = await Promise.all([startConsoleWorld(), launchChromium()]);
  alice = await signedInPage(browser, w.p.url, 'alice', w.users.alice);
  bob = await signedInPage(browser, w.p.url, 'bob', w.users.bob);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
});

/** A screenshot of one element (the dialog) as tests/artifacts/<name>.png: what docs/screenshots/ gets, small. */
async function elementShot(el: Locator, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await el.screenshot({ path: join(ARTIFACTS, `${name}.png`), timeout: 15_000 });
}

/** The Share dialog of alice's camera page, opened. */
async function openShareDialog(page: Page): Promise<void> {
  await page.goto(`${w.p.url}/cameras/CAM-ALICE`);
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  await page.getByRole('dialog', { name: 'Share CAM-ALICE' }).waitFor();
}

describe('sharing a camera from the console', () => {
  it('shares a camera from the Share dialog; the sharee’s list shows it with the role, live', async () => {
    await bob.page.locator('li.camera[data-device="CAM-BOB"]').waitFor();
    expect(await bob.page.locator('li.camera[data-device="CAM-ALICE"]').count()).toBe(0);
    await openShareDialog(alice.page);
    const dialog = alice.page.getByRole('dialog', { name: 'Share CAM-ALICE' });
    await dialog.getByText('Shared with nobody yet.').waitFor();
    await dialog.getByLabel('User name').fill('bob');
    await dialog.getByLabel('Role').selectOption('viewer');
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.getByText('Shared with bob as viewer.').waitFor();
    await dialog.locator('.shares li[data-user="bob"]', { hasText: 'viewer' }).waitFor();
    await dialog.getByText('Shared with 1 of at most 32 people.').waitFor();
    // A name nobody has is refused in words.
    await dialog.getByLabel('User name').fill('nobody');
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.getByText('no user nobody').waitFor();
    await dialog.getByLabel('User name').fill('');
    await screenshot(alice.page, 'share-dialog');
    await elementShot(dialog, 'share-dialog-box');
    // Bob's list got it by itself (the feed), with his role.
    const shared = bob.page.locator('li.camera[data-device="CAM-ALICE"]');
    await shared.waitFor();
    expect(await shared.getByTestId('role').innerText()).toBe('shared: viewer');
    expect(await bob.page.locator('li.camera[data-device="CAM-BOB"] [data-testid="role"]').count()).toBe(0);
    await screenshot(bob.page, 'share-list-viewer');
  });

  it('shows a viewer live, recordings and alarms, and hides PTZ, snapshot, configuration, firmware, maintenance and Share', async () => {
    await bob.page.goto(`${w.p.url}/cameras/CAM-ALICE`);
    await bob.page.getByTestId('role').waitFor();
    await bob.page.locator('text=Connected').waitFor();
    for (const id of ['live', 'recordings', 'alarms', 'status']) expect([id, await bob.page.locator(`#${id}`).isVisible()]).toEqual([id, true]);
    for (const id of ['ptz', 'snapshot', 'config', 'firmware', 'maintenance']) expect([id, await bob.page.locator(`#${id}`).isVisible()]).toEqual([id, false]);
    expect(await bob.page.getByRole('button', { name: 'Start recording' }).isVisible()).toBe(false);
    expect(await bob.page.getByRole('button', { name: 'Share', exact: true }).isVisible()).toBe(false);
    expect(await bob.page.getByRole('button', { name: 'Start live' }).isVisible()).toBe(true);
    await screenshot(bob.page, 'share-camera-viewer');
  });

  it('shows an operator PTZ, snapshots and recording once the owner changes the role, without a reload', async () => {
    await openShareDialog(alice.page);
    const dialog = alice.page.getByRole('dialog', { name: 'Share CAM-ALICE' });
    await dialog.getByLabel('User name').fill('bob');
    await dialog.getByLabel('Role').selectOption('operator');
    await dialog.getByRole('button', { name: 'Share', exact: true }).click();
    await dialog.locator('.shares li[data-user="bob"]', { hasText: 'operator' }).waitFor();
    // Bob's open page follows: the feed carries his new role.
    await bob.page.locator('#ptz').waitFor({ state: 'visible' });
    await bob.page.getByTestId('role').filter({ hasText: 'shared: operator' }).waitFor();
    expect(await bob.page.locator('#snapshot').isVisible()).toBe(true);
    expect(await bob.page.getByRole('button', { name: 'Start recording' }).isVisible()).toBe(true);
    for (const id of ['config', 'firmware', 'maintenance']) expect([id, await bob.page.locator(`#${id}`).isVisible()]).toEqual([id, false]);
    // And PTZ from his page reaches the camera.
    const before = w.cams.alice.received.filter((m) => m.name === 'CtrlPTZ').length;
    await bob.page.getByRole('button', { name: 'Left', exact: true }).click();
    await w.cams.alice.waitFor((d) => d.received.filter((m) => m.name === 'CtrlPTZ').length > before, 10_000);
  });

  it('fits a phone: the dialog has no horizontal overflow', async () => {
    const phone = await signedInPage(browser, w.p.url, 'alice', w.users.alice, PHONE);
    await openShareDialog(phone.page);
    await phone.page.locator('.shares li[data-user="bob"]').waitFor();
    const box = await phone.page.getByRole('dialog').boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await screenshot(phone.page, 'share-dialog-phone');
    await elementShot(phone.page.getByRole('dialog'), 'share-dialog-box-phone');
    expect(phone.problems.errors).toEqual([]);
    expect(await phone.problems.csp()).toEqual([]);
    await phone.page.context().close();
  });

  it('ends a share: the camera leaves the former sharee’s list, live', async () => {
    await bob.page.goto(`${w.p.url}/`);
    await bob.page.locator('li.camera[data-device="CAM-ALICE"]').waitFor();
    await openShareDialog(alice.page);
    const dialog = alice.page.getByRole('dialog', { name: 'Share CAM-ALICE' });
    await dialog.getByRole('button', { name: 'Stop sharing with bob' }).click();
    await dialog.getByText('bob no longer sees this camera.').waitFor();
    await dialog.getByText('Shared with nobody yet.').waitFor();
    await bob.page.locator('li.camera[data-device="CAM-ALICE"]').waitFor({ state: 'detached' });
  });

  it('unbinds the camera after a confirmation, and goes back to the list without it', async () => {
    await openShareDialog(alice.page);
    const dialog = alice.page.getByRole('dialog', { name: 'Share CAM-ALICE' });
    await dialog.getByRole('button', { name: 'Unbind this camera…' }).click();
    const confirm = dialog.getByRole('alertdialog');
    await confirm.getByText('Unbind CAM-ALICE?').waitFor();
    await screenshot(alice.page, 'share-unbind-confirm');
    // Cancel changes nothing.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await confirm.isVisible()).toBe(false);
    expect((await (await w.p.api('/api/devices/CAM-ALICE')).json()).owner_id).not.toBeNull();
    await dialog.getByRole('button', { name: 'Unbind this camera…' }).click();
    await confirm.getByRole('button', { name: 'Yes, unbind' }).click();
    await alice.page.getByRole('heading', { level: 1, name: 'Cameras' }).waitFor();
    await alice.page.getByText('No cameras yet.').waitFor();
    expect((await (await w.p.api('/api/devices/CAM-ALICE')).json()).owner_id).toBeNull();
    expect(alice.problems.errors).toEqual([]);
    expect(await alice.problems.csp()).toEqual([]);
    expect(bob.problems.errors).toEqual([]);
  });

  it('copies the dialog’s screenshots to docs/screenshots/', () => {
    mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
    copyFileSync(join(ARTIFACTS, 'share-dialog-box.png'), join(DOCS_SCREENSHOTS, 'console-share.png'));
    copyFileSync(join(ARTIFACTS, 'share-dialog-box-phone.png'), join(DOCS_SCREENSHOTS, 'console-share-phone.png'));
  });
});
