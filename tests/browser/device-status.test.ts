/**
 * The camera page's status tools, in Chromium against a real platform and simulated cameras:
 * DevStatus, the SD card (GetDiskInfo, FormatDisk) and the clock (QueryTime, Settime); and how an
 * action shows its wait and a camera's refusal. Each check looks at the page and at what reached
 * the simulated camera.
 */
import { describe, expect, it, setDefaultTimeout } from 'bun:test';
import type { Locator } from 'playwright-core';
import { DISK_STATE } from '../../protocol/constants.ts';
import { until } from '../helpers/wait.ts';
import { newContext, screenshot, signIn } from './helpers.ts';
import {
  UPGRADE_WAIT_MS,
  w,
  browser,
  alice,
  firmware,
  openCamera,
  lastReceived,
  count,
  clickWhileHeld,
  answerNextDialog,
  useDeviceTools,
} from './device-tools.ts';

/** A platform, two cameras and a browser; an upgrade and the reboots take real seconds. */
setDefaultTimeout(90_000);

useDeviceTools();

describe('device status and refusals', () => {
  it('shows DevStatus, the disk and the time, formats the card after a confirmation, and sets the clock', async () => {
    const cam = w.cams.alice;
    await openCamera(alice);
    const card = alice.locator('#status');
    const [devLine, diskLine, timeLine] = [0, 1, 2].map((i) => card.locator('p.status').nth(i)) as [Locator, Locator, Locator];
    const diskBtn = card.getByRole('button', { name: 'Disk (GetDiskInfo)' });
    const timeBtn = card.getByRole('button', { name: 'Camera time (QueryTime)' });

    // DevStatus: the camera's own answer, field by field.
    expect(await clickWhileHeld(alice, card.getByRole('button', { name: 'Ask the camera (DevStatus)' }), devLine, 'Asking the camera…')).toEqual({
      req: 'DevStatus',
    });
    await card.locator('p.status.ok', { hasText: 'The camera answered.' }).waitFor();
    const answered = lastReceived(cam, 'DevStatus')!.answer as { resp: Record<string, unknown> };
    expect(answered.resp).toMatchObject({ dev_id: 'CAM-ALICE', hardware_model: 'SIM-CAM' });
    expect(JSON.parse(await card.locator('pre.json').innerText())).toEqual(answered.resp);

    // GetDiskInfo.
    expect(await clickWhileHeld(alice, diskBtn, diskLine, 'Reading the disk…')).toEqual({ req: 'GetDiskInfo' });
    const disk = cam.camera.disk.info();
    expect(disk.state).toBe(DISK_STATE.normal);
    await card.locator('p.status.ok', { hasText: `Disk: normal, ${disk.free} of ${disk.total} MB free.` }).waitFor();

    // FormatDisk asks first; "Cancel" sends nothing: a later call reaches the camera, the format never does.
    const formats = count(cam, 'FormatDisk');
    const format = card.getByRole('button', { name: 'Format the SD card' });
    const dismissed = answerNextDialog(alice, false);
    await format.click();
    expect(await dismissed).toBe("confirm: Format the camera's SD card? Everything on it is lost.");
    const reads = count(cam, 'GetDiskInfo');
    await diskBtn.click();
    await cam.waitFor((d) => count(d, 'GetDiskInfo') > reads);
    expect(count(cam, 'FormatDisk')).toBe(formats);

    // Confirmed, it reaches the camera, which formats (state 3) and comes back with an empty card.
    const asked = answerNextDialog(alice);
    expect(await clickWhileHeld(alice, format, diskLine, 'Asking to format…')).toEqual({ req: 'FormatDisk' });
    expect(await asked).toBe("confirm: Format the camera's SD card? Everything on it is lost.");
    await card.locator('p.status.ok', { hasText: /^Disk: formatting[,.]/ }).waitFor(); // the page reads the disk again once formatting started
    expect(count(cam, 'FormatDisk')).toBe(formats + 1);
    expect(lastReceived(cam, 'FormatDisk')!.answer).toEqual({ resp: {} });
    await until(
      async () => cam.camera.disk.info(),
      (d) => d.state === DISK_STATE.normal,
      15_000,
    );
    await diskBtn.click();
    await card.locator('p.status.ok', { hasText: `Disk: normal, ${disk.total} of ${disk.total} MB free.` }).waitFor();

    // QueryTime: the camera's time and zone (+8 until set), beside this computer's.
    cam.camera.time.tz = 8;
    expect(await clickWhileHeld(alice, timeBtn, timeLine, 'Asking the time…')).toEqual({ req: 'QueryTime' });
    await card.locator('p.status.ok', { hasText: 'Camera time: ' }).waitFor();
    const told = (lastReceived(cam, 'QueryTime')!.answer as { resp: { datetime: string; tz: number } }).resp;
    expect(await timeLine.innerText()).toStartWith(`Camera time: ${told.datetime} (UTC+8); this computer: `);

    // Settime: this computer's time and zone (UTC here) reach the camera, which takes them.
    cam.camera.time.adjust(-3_600_000); // an hour slow, so that setting it shows
    const sent = await clickWhileHeld(alice, card.getByRole('button', { name: "Set to this computer's time" }), timeLine, 'Setting the time…');
    expect(sent).toMatchObject({ req: 'Settime', params: { tz: 0, offset: 0 } });
    expect(Math.abs(Date.parse(`${sent.params.datetime}Z`) - Date.now())).toBeLessThan(5_000);
    await card.locator('p.status.ok', { hasText: 'Time set.' }).waitFor();
    expect(lastReceived(cam, 'Settime')!.params).toEqual(sent.params);
    expect(cam.camera.time.tz).toBe(0);
    expect(Math.abs(cam.camera.time.now() - Date.now())).toBeLessThan(5_000);
    await timeBtn.click();
    await card.locator('p.status.ok', { hasText: /^Camera time: \S+ \(UTC\+0\); this computer: / }).waitFor();
    await screenshot(alice, 'device-status-disk-time');
  });

  it('shows the wait, offers no formatting without an SD card, and shows an upgrade the camera cannot download', async () => {
    const cam = w.cams.bob;
    const page = await (await newContext(browser)).newPage();
    await signIn(page, w.p.url, 'bob', w.users.bob);
    await openCamera(page, 'CAM-BOB');
    const card = page.locator('#status');
    const diskLine = card.locator('p.status').nth(1);
    // Held long enough to see the seconds count.
    const diskBtn = card.getByRole('button', { name: 'Disk (GetDiskInfo)' });
    expect(
      await clickWhileHeld(page, diskBtn, diskLine, 'Reading the disk…', { whileHeld: () => diskLine.locator('.secs', { hasText: '1 s' }).waitFor() }),
    ).toEqual({
      req: 'GetDiskInfo',
    });
    await card.locator('p.status.ok', { hasText: /^Disk: no card\.$/ }).waitFor();
    expect(lastReceived(cam, 'GetDiskInfo')!.answer).toEqual({ resp: { state: DISK_STATE.no_card } });
    // The camera said at login that it has no card (issue #22 point 4): formatting is not offered.
    expect(await card.getByRole('button', { name: 'Format the SD card' }).count()).toBe(0);
    expect(count(cam, 'FormatDisk')).toBe(0);
    await screenshot(page, 'device-no-card');

    // An image the camera cannot fetch: the upgrade ends in error, which the page shows.
    const fw = page.locator('#firmware');
    await fw.getByLabel('Firmware version').fill('FW9');
    await fw.getByLabel('Download URL').fill(`http://127.0.0.1:${firmware.port}/missing.bin`);
    await fw.getByRole('button', { name: 'Upgrade' }).click();
    await fw.locator('p.status.ok', { hasText: 'Upgrade sent; progress follows below.' }).waitFor();
    await fw.locator('.progress-row span', { hasText: 'FW9: error (the device reported an upgrade error), 0 %' }).waitFor({ timeout: UPGRADE_WAIT_MS });
    expect(cam.camera.upgrade.query()).toMatchObject({ upgrade_status: 'error', firmware_model: 'FW1' });
    await page.locator('.page-head .badge[data-state="online.ready"]').waitFor();
    await screenshot(page, 'device-error-upgrade');
    await page.context().close();
  });
});
