/**
 * A sleeping battery camera in the console (issue #22 point 2), in Chromium against a real platform: its Vd closes,
 * its heartbeats arrive on a real TCP link to the hibernation server, and the list and the camera page show it
 * "asleep" (not "offline"), with its last heartbeat and its battery; it goes offline when its heartbeats stop.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { HibernationLink } from '../../device/hibernation-link.ts';
import { startTestPlatform, type TestPlatform } from '../helpers/platform.ts';
import { RawDevice } from '../helpers/vd-client.ts';
import { until } from '../helpers/wait.ts';
import { launchChromium, newContext, screenshot, signIn } from './helpers.ts';

setDefaultTimeout(90_000);

/** A sleeping camera's offline time here, seconds (HIBERNATION_OFFLINE_S; 135 by default). */
const OFFLINE_S = 6;
const CAM = { device_id: 'CAM-SLEEPY', password: 'cam-password-sleepy', mac_id: 'a0:b1:c2:d3:e6:01' };
const ADMIN = { username: 'operator', password: 'operator-password', role: 'admin' };

let p: TestPlatform;
let browser: Browser;
let page: Page;
beforeAll(async () => {
  [p, browser] = await Promise.all([startTestPlatform({ HIBERNATION_OFFLINE_S: String(OFFLINE_S) }), launchChromium()]);
  expect((await p.api('/api/admin/users', { method: 'POST', body: JSON.stringify(ADMIN) })).status).toBe(201);
  expect((await p.api('/api/admin/devices', { method: 'POST', body: JSON.stringify(CAM) })).status).toBe(201);
  page = await (await newContext(browser)).newPage();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await p?.cleanup();
});

describe('a sleeping camera in the console', () => {
  it('shows "asleep" with its last heartbeat and battery, then "offline" when its heartbeats stop', async () => {
    const vd = await RawDevice.connect(p.url, {
      login_code: CAM.device_id,
      login_passwd: CAM.password,
      hardware_model: 'HW',
      firmware_model: 'FW',
      sdk: '1.0',
    });
    const info = (await vd.call('GetServerInfo', { mac_id: CAM.mac_id, state: 1 })).resp as { hibernation: string; hb_token: string };
    vd.event('BatteryChange', { battery: 42 });
    await until(
      async () => (await (await p.api(`/api/devices/${CAM.device_id}`)).json()).battery,
      (b) => b === 42,
    );
    await signIn(page, p.url, ADMIN.username, ADMIN.password);
    const item = page.locator(`li.camera[data-device="${CAM.device_id}"]`);
    await item.locator('.badge', { hasText: 'online' }).waitFor();

    // It goes to sleep: Vd closed, heartbeats on the hibernation link.
    vd.close();
    await vd.waitClosed();
    const at = HibernationLink.parseAddress(info.hibernation);
    const link = await HibernationLink.connect(at.host, at.port);
    const beat = () => link.heartbeat(CAM.mac_id.replaceAll(':', ''), info.hb_token);
    beat();
    const beating = setInterval(beat, 2000);
    const badge = item.locator('.badge[data-state="hibernating"]');
    await badge.waitFor();
    expect(await badge.innerText()).toBe('asleep');
    expect(await badge.getAttribute('class')).toContain('asleep');
    expect(await item.locator('dt', { hasText: 'Last heartbeat' }).count()).toBe(1);
    await item.locator('dd', { hasText: '42 %' }).waitFor();
    await screenshot(page, 'cameras-asleep');

    // The camera page: the badge, the reason, the last heartbeat and the battery.
    await item.locator('a.camera-name').click();
    await page.locator('.page-head .badge', { hasText: 'asleep' }).waitFor();
    await page.getByText('asleep (since', { exact: false }).waitFor();
    const last = page.getByTestId('last-heartbeat');
    await until(
      () => last.innerText(),
      (t) => t !== '—',
    );
    await page.locator('dl.facts dd', { hasText: '42 %' }).waitFor();
    await screenshot(page, 'camera-asleep');

    // Its heartbeats stop: offline after the offline time, shown as such.
    clearInterval(beating);
    link.close();
    await page.locator('.page-head .badge', { hasText: 'offline' }).waitFor({ timeout: (OFFLINE_S + 10) * 1000 });
  });
});
