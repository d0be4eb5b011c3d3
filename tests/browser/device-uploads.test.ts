/**
 * What the camera uploads, shown on the camera page in Chromium against a real platform and
 * simulated cameras: a device log uploaded and downloaded; alarms with their pictures. Each check
 * looks at the page and at what the simulated camera sent.
 */
import { describe, expect, it, setDefaultTimeout } from 'bun:test';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { screenshot } from './helpers.ts';
import { w, alice, problems, uploaded, pictures, openCamera, lastReceived, clickWhileHeld, fact, useDeviceTools } from './device-tools.ts';

/** A platform, two cameras and a browser; an upgrade and the reboots take real seconds. */
setDefaultTimeout(90_000);

useDeviceTools();

describe('what the camera uploads', () => {
  it("uploads the camera's log and offers exactly its bytes for download", async () => {
    const cam = w.cams.alice;
    cam.camera.time.tz = 9; // the camera's clock is in another zone than this computer (UTC)
    await openCamera(alice);
    const card = alice.locator('#maintenance');
    const line = card.locator('p.status').nth(1);
    const sent = await clickWhileHeld(alice, card.getByRole('button', { name: 'Upload the log' }), line, 'Asking for the log…', { name: 'LogUploadAsync' });
    await card.locator('p.status.ok', { hasText: 'The log is uploaded.' }).waitFor({ timeout: 30_000 });
    const asked = lastReceived(cam, 'LogUploadAsync')!.params as { trans_id: string; start: string; end: string; url: string };
    expect(sent.params).toEqual({ start: asked.start, end: asked.end });
    // The range the page asks for (the last day, up to a minute ahead) in the camera's own time.
    const now = cam.camera.time.now();
    expect(Math.abs(cam.camera.time.parse(asked.start) - (now - 86_400_000))).toBeLessThan(120_000);
    expect(cam.camera.time.parse(asked.end)).toBeGreaterThan(now);
    // What the camera uploaded and reported in LogDone is what the page offers.
    // trans_id goes out as H.627.2's integer and comes back as the device's text: compared as text (NOTES 11).
    const done = cam.sent.find((m) => m.name === 'LogDone' && String((m.params as { trans_id: string }).trans_id) === String(asked.trans_id))!.params as {
      status: string;
      size: number;
    };
    expect(done.status).toBe('success');
    const log = uploaded.get(asked.url)!;
    expect(log.byteLength).toBe(done.size);
    expect(new TextDecoder().decode(log)).toContain('received request LogUploadAsync');
    const link = card.getByRole('link', { name: `Download the log (${done.size} bytes)` });
    const [download] = await Promise.all([alice.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe(`CAM-ALICE-${asked.trans_id}.log`);
    const file = join(tmpdir(), `h627-device-log-${process.pid}.log`);
    await download.saveAs(file);
    expect(new Uint8Array(readFileSync(file))).toEqual(log);
    rmSync(file, { force: true });
    await screenshot(alice, 'device-log');
  });

  it('shows an alarm the camera raises, with its picture', async () => {
    const cam = w.cams.alice;
    await openCamera(alice);
    const list = alice.getByRole('list', { name: 'Alarms' });
    const desc = `someone at the door ${Date.now()}`;
    // The picture follows the alarm (I.2.16): hold it back until the page has listed the alarm.
    let upload!: () => void;
    pictures.gate = new Promise((resolve) => (upload = resolve));
    const raised = cam.camera.raiseAlarm(3, 'start', { desc });
    const item = list.locator('li', { hasText: desc });
    try {
      await item.waitFor({ timeout: 15_000 });
      expect(await item.locator('strong').innerText()).toBe('motion');
      expect(await item.innerText()).toContain('start on channel 0');
      await item.getByText('no picture').waitFor();
    } finally {
      upload();
      pictures.gate = Promise.resolve();
    }
    const out = await raised;
    expect(out.params).toMatchObject({ channel: 0, type: 3, state: 'start', desc });
    expect(out.picture?.uploaded).toBe(true);
    // Its picture, once uploaded, without reloading: the bytes the camera sent.
    const img = item.getByRole('img', { name: 'Picture of the motion alarm' });
    await img.waitFor({ timeout: 15_000 });
    // A lazy image loads once it is near the viewport: the camera page's panels may push the alarm list below it.
    await img.scrollIntoViewIfNeeded();
    await alice.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await img.elementHandle());
    const shown = await alice.evaluate(async (src) => [...new Uint8Array(await (await fetch(src)).arrayBuffer())], (await img.getAttribute('src'))!);
    expect(new Uint8Array(shown)).toEqual(uploaded.get(out.picture!.url)!);
    await fact(alice, 'Active alarms').filter({ hasText: 'motion on 0' }).waitFor();
    await screenshot(alice, 'device-alarm');
    // The end of the alarm: listed, no picture asked for, and no alarm active any more.
    await cam.camera.raiseAlarm(3, 'end', { desc });
    await list.locator('li', { hasText: desc }).filter({ hasText: 'end on channel 0' }).getByText('no picture').waitFor();
    await fact(alice, 'Active alarms')
      .filter({ hasText: /^none$/ })
      .waitFor();
    expect(await problems.csp()).toEqual([]);
    expect(problems.errors).toEqual([]);
  });
});
