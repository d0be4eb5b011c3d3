/**
 * The world of the device-tools tests (device-*.test.ts): a platform, Alice's camera (whose channel
 * reboots take CHANNEL_REBOOT_MS) and Bob's (no SD card), a firmware server, Chromium with Alice
 * signed in; and the checks they share: a call held back to see the page's wait, dialogs, facts.
 */
import { afterAll, beforeAll, expect } from 'bun:test';
import type { Browser, Locator, Page, Route } from 'playwright-core';
import type { SimulatedDevice } from '../../device/index.ts';
import { DESKTOP, launchChromium, signedInPage, startConsoleWorld, type ConsoleWorld, type PageProblems } from './helpers.ts';

/** How long a channel reboot keeps Alice's channel offline: longer than a heartbeat interval (5 s), so a Keepalive reports it. */
export const CHANNEL_REBOOT_MS = 9_000;
/** Longest wait for a firmware upgrade to be followed to done (download, ten steps of 500 ms, QueryUpgrade every 2 s). */
export const UPGRADE_WAIT_MS = 60_000;

export let w: ConsoleWorld;
export let browser: Browser;
export let alice: Page;
export let problems: PageProblems;
/** Serves firmware images for UpgradeFirmware (a 404 for any other path). */
export let firmware: ReturnType<typeof Bun.serve>;
/** What Alice's camera uploaded (PUT), by upload URL: logs, alarm pictures, snapshots. */
export const uploaded = new Map<string, Uint8Array<ArrayBuffer>>();
/** Alice's camera uploads its pictures once `gate` resolves (a slow uplink, when a test wants one). */
export const pictures: { gate: Promise<void> } = { gate: Promise.resolve() };

/** The camera page, once its camera is connected and ready. */
export async function openCamera(page: Page, id = 'CAM-ALICE'): Promise<void> {
  await page.goto(`${w.p.url}/cameras/${id}`);
  await page.locator('.page-head .badge[data-state="online.ready"]').waitFor({ timeout: 30_000 });
}

/** The last platform message of a name the camera received, with the answer it gave. */
export function lastReceived(dev: SimulatedDevice, name: string) {
  return dev.received.filter((m) => m.name === name).at(-1);
}

/** How many messages of a name the camera has received. */
export const count = (dev: SimulatedDevice, name: string) => dev.received.filter((m) => m.name === name).length;

/** The console's one endpoint for platform → camera messages. */
export const RPC_URL = '**/api/devices/*/rpc';

/**
 * Click `button` with the page's call of `name` (default: its first camera call) held back in the
 * browser: the page must show the wait (the button disabled and aria-busy, a spinner and `waiting`
 * in `line`; `whileHeld` may check more); then the call goes on to the platform and the camera.
 * Resolves with the request body the page sent.
 */
export async function clickWhileHeld(
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
export const fact = (page: Page, name: string) => page.locator(`#status dl.facts dt:text-is("${name}") + dd`);

/** Accept (or dismiss) the page's next dialog; resolves with its kind and question, `confirm: …`. */
export function answerNextDialog(page: Page, accept = true): Promise<string> {
  return new Promise((resolve) =>
    page.once('dialog', (d) => {
      resolve(`${d.type()}: ${d.message()}`);
      void (accept ? d.accept() : d.dismiss());
    }),
  );
}

/** Start the world before the file's tests and stop it after them. */
export function useDeviceTools(): void {
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
      if (type === 'image/jpeg') await pictures.gate;
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
}
