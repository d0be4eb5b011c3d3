/**
 * Status reads the same on every page (issue 23, problem 6): the admin table shows states in the cameras' words and
 * the owner's name; a camera page of a channel that never recorded logs no failed request; an unknown page is the
 * console's "Not found", not problem JSON.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import type { Browser } from 'playwright-core';
import { json, launchChromium, screenshot, signedInPage, startConsoleWorld, type ConsoleWorld } from './helpers.ts';

setDefaultTimeout(60_000);

let w: ConsoleWorld;
let browser: Browser;

beforeAll(async () => {
  [w, browser] = await Promise.all([startConsoleWorld(), launchChromium()]);
  // A device provisioned but never connected, bound to nobody.
  await json(w.p, '/api/admin/devices', {
    method: 'POST',
    body: JSON.stringify({ device_id: 'CAM-SPARE', password: 'camera-password', mac_id: 'a0b1c2d3e4ff', channels: [0] }),
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
});

describe('status agrees between pages', () => {
  it('the admin table shows states as the camera pages do, and the owner by name', async () => {
    const { page } = await signedInPage(browser, w.p.url, 'root', w.users.admin);
    await page.goto(`${w.p.url}/admin`);
    await page.locator('#devices tbody tr').nth(2).waitFor();
    const rows = await page.locator('#devices tbody tr').evaluateAll((trs) =>
      trs.map((tr) => {
        const td = [...tr.querySelectorAll('td')];
        return { device: td[0]!.innerText, state: td[3]!.innerText, key: td[3]!.querySelector('.badge')?.getAttribute('data-state'), owner: td[4]!.innerText };
      }),
    );
    expect(rows).toEqual([
      { device: 'CAM-ALICE', state: 'online', key: 'online.ready', owner: 'alice' },
      { device: 'CAM-BOB', state: 'online', key: 'online.ready', owner: 'bob' },
      { device: 'CAM-SPARE', state: 'provisioned', key: 'provisioned', owner: '—' },
    ]);
    // The cameras page's badge for the same camera says the same word.
    await page.goto(`${w.p.url}/cameras`);
    expect(await page.locator('li.camera[data-device="CAM-ALICE"] .badge').innerText()).toBe('online');
    await page.goto(`${w.p.url}/admin`);
    await page.locator('#devices tbody tr').nth(2).waitFor();
    await screenshot(page, 'admin-devices-consistent');
    await page.context().close();
  });

  it('a channel that never recorded logs no failed request on its camera page', async () => {
    const { page, problems } = await signedInPage(browser, w.p.url, 'alice', w.users.alice);
    const failed: string[] = [];
    page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
    page.on('console', (m) => m.type() === 'error' && failed.push(m.text()));
    await page.goto(`${w.p.url}/cameras/CAM-ALICE`);
    await page.getByTestId('recording-state').and(page.locator('[data-state="never"]')).waitFor();
    expect(await page.locator('#recordings').innerText()).toContain('This channel has never recorded.');
    await page.waitForLoadState('networkidle');
    expect(failed).toEqual([]);
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('an unknown page is the console’s "Not found"; the API keeps problem JSON', async () => {
    const { page } = await signedInPage(browser, w.p.url, 'alice', w.users.alice);
    const res = await page.goto(`${w.p.url}/no-such-page`);
    expect(res!.status()).toBe(404);
    expect(res!.headers()['content-type']).toContain('text/html');
    await page.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
    expect(await page.getByRole('link', { name: 'Back to the cameras' }).isVisible()).toBe(true);
    await screenshot(page, 'console-not-found');
    const api = await page.evaluate(async () => {
      const r = await fetch('/api/no-such-route');
      return { status: r.status, type: r.headers.get('content-type') };
    });
    expect(api).toEqual({ status: 404, type: expect.stringContaining('application/problem+json') });
    await page.context().close();
  });
});
