/**
 * The camera page's device tools, in Chromium against a real platform and simulated cameras:
 * DevStatus, the SD card (GetDiskInfo, FormatDisk) and the clock (QueryTime, Settime); a firmware
 * upgrade followed on its progress bar to done; reboots of the camera and of a channel; a device
 * log uploaded and downloaded; alarms with their pictures; and how each action shows its wait and
 * a camera's refusal. Each check looks at the page and at what reached the simulated camera.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page, Route } from 'playwright-core';
import type { SimulatedDevice } from '../../device/index.ts';
import { CHANNEL_STATE, DISK_STATE } from '../../protocol/constants.ts';
import { until } from '../helpers/wait.ts';
import { DESKTOP, launchChromium, newContext, screenshot, signedInPage, signIn, startConsoleWorld, type ConsoleWorld, type PageProblems } from './helpers.ts';

/** A platform, two cameras and a browser; an upgrade and the reboots take real seconds. */
setDefaultTimeout(90_000);

/** How long a channel reboot keeps Alice's channel offline: longer than a heartbeat interval (5 s), so a Keepalive reports it. */
const CHANNEL_REBOOT_MS = 9_000;
/** Longest wait for a firmware upgrade to be followed to done (download, ten steps of 500 ms, QueryUpgrade every 2 s). */
const UPGRADE_WAIT_MS = 60_000;

let w: ConsoleWorld;
let browser: Browser;
let alice: Page;
let problems: PageProblems;
/** Serves firmware images for UpgradeFirmware (a 404 for any other path). */
let firmware: ReturnType<typeof Bun.serve>;
/** What Alice's camera uploaded (PUT), by upload URL: logs, alarm pictures, snapshots. */
const uploaded = new Map<string, Uint8Array<ArrayBuffer>>();
/** Alice's camera uploads its pictures once this resolves (a slow uplink, when a test wants one). */
let pictureGate: Promise<void> = Promise.resolve();

/** The camera page, once its camera is connected and ready. */
async function openCamera(page: Page, id = 'CAM-ALICE'): Promise<void> {
  await page.goto(`${w.p.url}/cameras/${id}`);
  await page.locator('.page-head .badge[data-state="online.ready"]').waitFor({ timeout: 30_000 });
}

/** The last platform message of a name the camera received, with the answer it gave. */
function lastReceived(dev: SimulatedDevice, name: string) {
  return dev.received.filter((m) => m.name === name).at(-1);
}

/** How many messages of a name the camera has received. */
const count = (dev: SimulatedDevice, name: string) => dev.received.filter((m) => m.name === name).length;

/** The console's one endpoint for platform → camera messages. */
const RPC_URL = '**/api/devices/*/rpc';

/**
 * Click `button` with the page's call of `name` (default: its first camera call) held back in the
 * browser: the page must show the wait (the button disabled and aria-busy, a spinner and `waiting`
 * in `line`; `whileHeld` may check more); then the call goes on to the platform and the camera.
 * Resolves with the request body the page sent.
 */
async function clickWhileHeld(
  page: Page,
  button: Locator,
  line: Locator,
  waiting: string,
  opts: { name?: string; whileHeld?: () => Promise<void> } = {},
): Promise<Record<string, any>> {
  let held!: (r: Route) => void;
  const route = new Promise<Route>((resolve) => (held = resolve));
  let taken = false;
  const handler = (r: Route) => {
    const body = r.request().postDataJSON() as { req?: string; event?: string };
    if (taken || (opts.name && body.req !== opts.name && body.event !== opts.name)) return r.fallback();
    taken = true;
    held(r);
  };
  await page.route(RPC_URL, handler);
  try {
    await button.click();
    const r = await route;
    await line.locator('.spinner').waitFor();
    expect(await line.getAttribute('class')).toBe('status busy');
    expect(await line.innerText()).toContain(waiting);
    expect(await button.isDisabled()).toBe(true);
    expect(await button.getAttribute('aria-busy')).toBe('true');
    await opts.whileHeld?.();
    await r.continue();
    return r.request().postDataJSON();
  } finally {
    await page.unroute(RPC_URL, handler);
  }
}

/** A fact of the Status card (Connected, Firmware, Channels, Active alarms…). */
const fact = (page: Page, name: string) => page.locator(`#status dl.facts dt:text-is("${name}") + dd`);

/** Accept (or dismiss) the page's next dialog; resolves with its kind and question, `confirm: …`. */
function answerNextDialog(page: Page, accept = true): Promise<string> {
  return new Promise((resolve) =>
    page.once('dialog', (d) => {
      resolve(`${d.type()}: ${d.message()}`);
      void (accept ? d.accept() : d.dismiss());
    }),
  );
}

beforeAll(async () => {
  firmware = Bun.serve({
    port: 0,
    fetch: (req) =>
      new URL(req.url).pathname === '/fw2.bin' ? new Response(new Uint8Array(64 * 1024).fill(7)) : new Response('no such image', { status: 404 }),
  });
  [w, browser] = await Promise.all([
    // Bob's camera has no SD card: FormatDisk is refused (err 500).
    startConsoleWorld({ cameras: { alice: { timings: { channelRebootMs: CHANNEL_REBOOT_MS } }, bob: { disk: { state: 'no_card' } } } }),
    launchChromium(),
  ]);
  // Keep a copy of what Alice's camera uploads, to compare with what the page offers; pictures may be held back.
  const http = w.cams.alice.camera.http;
  const put = http.put.bind(http);
  http.put = async (url, body, type) => {
    uploaded.set(url, body.slice());
    if (type === 'image/jpeg') await pictureGate;
    return put(url, body, type);
  };
  // Pin the browser's zone, so that this computer's time and the camera's (+8 until set) differ wherever the test runs.
  ({ page: alice, problems } = await signedInPage(browser, w.p.url, 'alice', w.users.alice, DESKTOP, { timezoneId: 'UTC' }));
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
  firmware?.stop(true);
});

describe('device tools', () => {
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
    pictureGate = new Promise((resolve) => (upload = resolve));
    const raised = cam.camera.raiseAlarm(3, 'start', { desc });
    const item = list.locator('li', { hasText: desc });
    try {
      await item.waitFor({ timeout: 15_000 });
      expect(await item.locator('strong').innerText()).toBe('motion');
      expect(await item.innerText()).toContain('start on channel 0');
      await item.getByText('no picture').waitFor();
    } finally {
      upload();
      pictureGate = Promise.resolve();
    }
    const out = await raised;
    expect(out.params).toMatchObject({ channel: 0, type: 3, state: 'start', desc });
    expect(out.picture?.uploaded).toBe(true);
    // Its picture, once uploaded, without reloading: the bytes the camera sent.
    const img = item.getByRole('img', { name: 'Picture of the motion alarm' });
    await img.waitFor({ timeout: 15_000 });
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

  it("shows the wait, then the camera's refusal: formatting without an SD card, and an upgrade it cannot download", async () => {
    const cam = w.cams.bob;
    const page = await (await newContext(browser)).newPage();
    await signIn(page, w.p.url, 'bob', w.users.bob);
    await openCamera(page, 'CAM-BOB');
    const card = page.locator('#status');
    const diskLine = card.locator('p.status').nth(1);
    await card.getByRole('button', { name: 'Disk (GetDiskInfo)' }).click();
    await card.locator('p.status.ok', { hasText: /^Disk: no card\.$/ }).waitFor();
    const format = card.getByRole('button', { name: 'Format the SD card' });
    const asked = answerNextDialog(page);
    // Held long enough to see the seconds count.
    await clickWhileHeld(page, format, diskLine, 'Asking to format…', { whileHeld: () => diskLine.locator('.secs', { hasText: '1 s' }).waitFor() });
    expect(await asked).toBe("confirm: Format the camera's SD card? Everything on it is lost.");
    await card.locator('p.status.error', { hasText: 'The camera refused: error 500, camera server error (“no SD card inserted”).' }).waitFor();
    expect(lastReceived(cam, 'FormatDisk')!.answer).toEqual({ err: { code: 500, msg: 'no SD card inserted' } });
    expect(await format.isDisabled()).toBe(false);
    expect(await format.getAttribute('aria-busy')).toBeNull();
    await screenshot(page, 'device-error-format');

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
