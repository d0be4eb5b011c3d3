/**
 * The camera page's tools that restart the camera, in Chromium against a real platform and
 * simulated cameras: a firmware upgrade followed on its progress bar to done; reboots of the camera
 * and of a channel. Each check looks at the page and at what reached the simulated camera.
 */
import { describe, expect, it, setDefaultTimeout } from 'bun:test';
import { CHANNEL_STATE } from '../../protocol/constants.ts';
import { until } from '../helpers/wait.ts';
import { screenshot } from './helpers.ts';
import {
  CHANNEL_REBOOT_MS,
  UPGRADE_WAIT_MS,
  w,
  alice,
  firmware,
  openCamera,
  lastReceived,
  count,
  clickWhileHeld,
  fact,
  answerNextDialog,
  useDeviceTools,
} from './device-tools.ts';

/** A platform, two cameras and a browser; an upgrade and the reboots take real seconds. */
setDefaultTimeout(90_000);

useDeviceTools();

describe('firmware upgrade and reboots', () => {
  it('upgrades the firmware: the progress bar follows QueryUpgrade to done, and the camera comes back with it', async () => {
    const cam = w.cams.alice;
    const url = `http://127.0.0.1:${firmware.port}/fw2.bin`;
    await openCamera(alice);
    const card = alice.locator('#firmware');
    const text = card.locator('.progress-row span');
    // Every value the bar takes, as the page sets it.
    await alice.evaluate(() => {
      const bar = document.querySelector<HTMLProgressElement>('#firmware progress')!;
      const seen: number[] = ((window as unknown as { upgradeSeen: number[] }).upgradeSeen = [bar.value]);
      new MutationObserver(() => seen.at(-1) !== bar.value && seen.push(bar.value)).observe(bar, { attributes: true, attributeFilter: ['value'] });
    });
    const polls = count(cam, 'QueryUpgrade');
    const states: string[] = [];
    const off = cam.on('state', (c) => states.push(c.state));
    try {
      await card.getByLabel('Firmware version').fill('FW2');
      await card.getByLabel('Download URL').fill(url);
      const sent = await clickWhileHeld(alice, card.getByRole('button', { name: 'Upgrade' }), card.locator('p.status'), 'Sending the upgrade…');
      expect(sent).toEqual({ event: 'UpgradeFirmware', params: { firmware_model: 'FW2', url } });
      await card.locator('p.status.ok', { hasText: 'Upgrade sent; progress follows below.' }).waitFor();
      expect(lastReceived(cam, 'UpgradeFirmware')!.params).toEqual({ firmware_model: 'FW2', url });
      // Under way (QueryUpgrade every 2 s, the camera 10 % every 500 ms), then done.
      await text.filter({ hasText: /^FW2: (downloading|installing), [1-9]\d? %$/ }).waitFor({ timeout: UPGRADE_WAIT_MS });
      await text.filter({ hasText: 'FW2: done, 100 %' }).waitFor({ timeout: UPGRADE_WAIT_MS });
      expect(await card.locator('progress').evaluate((bar: HTMLProgressElement) => bar.value)).toBe(100);
      const seen = await alice.evaluate(() => (window as unknown as { upgradeSeen: number[] }).upgradeSeen);
      const run = seen.slice(seen.lastIndexOf(0));
      expect(run.some((v) => v > 0 && v < 100)).toBe(true);
      expect(run).toEqual([...run].sort((a, b) => a - b));
      expect(run.at(-1)).toBe(100);
      expect(count(cam, 'QueryUpgrade')).toBeGreaterThan(polls); // the pu actor's polls reached the camera
      // The camera restarts into the new firmware; the page shows it without reloading.
      await cam.waitFor(() => states.includes('rebooting') && cam.state === 'online', 30_000);
      expect(cam.camera.firmwareModel).toBe('FW2');
      await fact(alice, 'Firmware').filter({ hasText: /^FW2$/ }).waitFor({ timeout: 30_000 });
      await alice.locator('.page-head .badge[data-state="online.ready"]').waitFor({ timeout: 30_000 });
      await screenshot(alice, 'device-upgrade');
    } finally {
      off();
    }
  });

  it('reboots the camera and one channel after a confirmation, and shows them come back', async () => {
    const cam = w.cams.alice;
    await openCamera(alice);
    const card = alice.locator('#maintenance');
    const line = card.locator('p.status').first();
    const states: string[] = [];
    const off = cam.on('state', (c) => states.push(c.state));
    try {
      // RebootDevice: the camera goes down and logs in again; the page's reason says so.
      const reason = alice.locator('.page-head + p.muted');
      const before = await reason.innerText();
      let asked = answerNextDialog(alice);
      expect(await clickWhileHeld(alice, card.getByRole('button', { name: 'Reboot the camera' }), line, 'Sending reboot…')).toEqual({ event: 'RebootDevice' });
      expect(await asked).toBe('confirm: Reboot CAM-ALICE?');
      await card.locator('p.status.ok', { hasText: 'Rebooting; the camera comes back by itself.' }).waitFor();
      expect(lastReceived(cam, 'RebootDevice')!.kind).toBe('event');
      await cam.waitFor(() => states.includes('rebooting') && cam.state === 'online', 30_000);
      await alice.waitForFunction(
        (b) => {
          const t = document.querySelector('.page-head + p.muted')?.textContent ?? '';
          return t !== b && t.startsWith('back after a reboot');
        },
        before,
        { timeout: 30_000 },
      );
      await alice.locator('.page-head .badge[data-state="online.ready"]').waitFor({ timeout: 30_000 });

      // RebootChannel: the channel is offline (its next Keepalive says so), then online again.
      const channels = fact(alice, 'Channels');
      await channels.filter({ hasText: /^0: online$/ }).waitFor();
      const channelReboots = count(cam, 'RebootChannel');
      asked = answerNextDialog(alice);
      const sent = await clickWhileHeld(alice, card.getByRole('button', { name: 'Reboot this channel' }), line, 'Sending…');
      expect(sent).toEqual({ event: 'RebootChannel', params: { channel: 0 } });
      expect(await asked).toBe('confirm: Reboot channel 0?');
      await card.locator('p.status.ok', { hasText: 'Channel 0 is rebooting.' }).waitFor();
      await cam.waitFor((d) => count(d, 'RebootChannel') > channelReboots);
      expect(lastReceived(cam, 'RebootChannel')!.params).toEqual({ channel: 0 });
      await until(
        async () => cam.camera.channelState(0),
        (s) => s === CHANNEL_STATE.offline,
        5_000,
      );
      await channels.filter({ hasText: /^0: offline$/ }).waitFor({ timeout: CHANNEL_REBOOT_MS });
      await screenshot(alice, 'device-reboot-channel');
      await channels.filter({ hasText: /^0: online$/ }).waitFor({ timeout: CHANNEL_REBOOT_MS + 15_000 });
      expect(cam.camera.channelState(0)).toBe(CHANNEL_STATE.online);
    } finally {
      off();
    }
  });
});
