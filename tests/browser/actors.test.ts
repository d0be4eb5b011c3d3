/**
 * The console for engineers and QA, in Chromium against a real platform and simulated cameras:
 * the actor list, an actor's statechart with its current state highlighted (live), stepping
 * through its history, the replay check, and the admin forms.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { json, launchChromium, newContext, screenshot, signIn, startConsoleWorld, type ConsoleWorld } from './helpers.ts';

/** A platform, two cameras and a browser. */
setDefaultTimeout(60_000);

let w: ConsoleWorld;
let browser: Browser;
let page: Page;
const active = () => page.locator('.diagram g.sc-state.sc-active').evaluateAll((els) => els.map((e) => (e as SVGGElement).dataset.state));

beforeAll(async () => {
  [w, browser] = await Promise.all([startConsoleWorld(), launchChromium()]);
  page = await (await newContext(browser)).newPage();
  await signIn(page, w.p.url, 'root', w.users.admin);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
});

describe('actors', () => {
  it('lists every actor, filterable by type and device', async () => {
    await page.getByRole('link', { name: 'Actors' }).click();
    await page.locator('tr[data-actor="pu:CAM-BOB"]').waitFor();
    await page.getByLabel('Device').fill('CAM-ALICE');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.locator('tr[data-actor="pu:CAM-BOB"]').waitFor({ state: 'detached' });
    expect(await page.locator('tr[data-actor="pu:CAM-ALICE"]').count()).toBe(1);
    await screenshot(page, 'actors-list');
  });

  it("shows an actor's statechart with the current state highlighted, and stepping through history moves it", async () => {
    await page.locator('tr[data-actor="pu:CAM-ALICE"] a').click();
    await page.locator('.diagram g.sc-state.sc-active').first().waitFor();
    expect(await active()).toEqual(['online', 'online.ready']);
    expect(await page.getByTestId('current-state').innerText()).toBe('online.ready');

    await page.getByRole('button', { name: 'First step' }).click();
    expect(await active()).toEqual(['provisioned']);
    await page.getByTestId('step-info').filter({ hasText: 'xstate.init' }).waitFor();
    expect(await page.getByTestId('step-context').innerText()).toContain('"deviceId": "CAM-ALICE"');

    await page.getByRole('button', { name: 'Next step' }).click();
    expect(await active()).toEqual(['scheduled']);
    expect(await page.locator('.diagram g.sc-edge.sc-taken').getAttribute('data-event')).toBe('vs.scheduled');
    expect(await page.getByTestId('step-diff').innerText()).toContain('scheduledAt');

    await page.getByRole('button', { name: 'Next step' }).click();
    expect(await active()).toEqual(['online', 'online.ready']);
    await screenshot(page, 'actor-stepping');

    // Jump to a row by clicking it, and with the keyboard.
    await page.locator('table.timeline tr[data-seq="0"]').click();
    expect(await active()).toEqual(['provisioned']);
    await page.keyboard.press('ArrowDown');
    expect(await active()).toEqual(['scheduled']);
    await page.keyboard.press('End');
    expect(await active()).toEqual(['online', 'online.ready']);
  });

  it('follows the actor live: a reboot moves the highlight and adds history rows', async () => {
    const rows = await page.locator('table.timeline tbody tr').count();
    await json(w.p, '/api/devices/CAM-ALICE/rpc', { method: 'POST', body: JSON.stringify({ event: 'RebootDevice' }) });
    await page.locator('.diagram g.sc-state.sc-active[data-state="online.rebooting"]').waitFor();
    await page.locator('#timers li', { hasText: 'xstate.after.REBOOT_TIMEOUT' }).waitFor();
    await screenshot(page, 'actor-live');
    await page.locator('.diagram g.sc-state.sc-active[data-state="online.ready"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('table.timeline tbody tr').count()).toBeGreaterThan(rows + 1);
    expect(await page.getByTestId('current-state').innerText()).toBe('online.ready');
  });

  it('runs the replay check from the page and shows its verdict', async () => {
    await page.getByRole('button', { name: 'Run the replay check' }).click();
    await page.getByTestId('replay-verdict').filter({ hasText: 'Reproduced' }).waitFor();
    const href = await page.getByRole('link', { name: 'Export the history (JSON)' }).getAttribute('href');
    expect(href).toBe('/api/actors/pu%3ACAM-ALICE/export');
    await screenshot(page, 'actor-replay');
  });

  it('lets an admin provision a device and create a user', async () => {
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByLabel('Device id').fill('CAM-NEW');
    await page.getByLabel('Password', { exact: true }).first().fill('new-camera-pw');
    await page.getByLabel('MAC address').fill('a0:b1:c2:d3:e4:99');
    await page.getByRole('button', { name: 'Provision', exact: true }).click();
    await page.locator('#devices td', { hasText: 'CAM-NEW' }).waitFor();
    await page.getByLabel('User name').fill('carol');
    await page.locator('#users input[name="password"]').fill('carol-password');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByText('User carol created.').waitFor();
    await screenshot(page, 'admin');
  });
});
