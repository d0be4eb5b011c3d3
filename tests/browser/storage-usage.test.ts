/**
 * Storage usage in the console, in Chromium against a real platform (docs/recording.md, "Quotas"): the camera page's
 * recordings card shows what the camera keeps against its quota and lets its owner set the quota (the oldest
 * recordings go at once), a person the camera is shared with sees the usage but not the form, and the cameras page
 * shows what all the person's cameras keep against the user quota. Segments are recorded over Vr by the test.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { INSECURE } from '../helpers/platform.ts';
import { captureRecording, put, until, VrClient } from '../recording/helpers.ts';
import { json, launchChromium, screenshot, signedInPage, startConsoleWorld, tokenOf, type ConsoleWorld, type PageProblems } from './helpers.ts';

setDefaultTimeout(120_000);
/** Bytes of each recorded segment. */
const SIZE = 10_000;
/** Alice's plan: 50 kB for all her cameras. */
const USER_QUOTA = 50_000;
/** Segments recorded before the page is opened. */
const SEGMENTS = 3;
const WAIT_MS = 15_000;
/** The first page load: the console's bundle may still be building on a loaded machine. */
const PAGE_WAIT_MS = 45_000;

let w: ConsoleWorld;
let browser: Browser;
let alice: Page;
let problems: PageProblems;
const cap = captureRecording();

beforeAll(async () => {
  [w, browser] = await Promise.all([
    startConsoleWorld({ media: { alice: cap.hooks }, env: { RECORDING_USER_QUOTA_BYTES: String(USER_QUOTA) } }),
    launchChromium(),
  ]);
  const token = await tokenOf(w.p, 'alice', w.users.alice);
  await json(w.p, '/api/devices/CAM-ALICE/channels/0/recording', { method: 'POST', token, body: JSON.stringify({ seg_duration: 1, seg_max_size: 1_000_000 }) });
  const [start] = await until(
    () => cap.starts,
    (l) => l.length === 1,
    WAIT_MS,
    'StartRecord',
  );
  const vr = new VrClient(start!.cbk_url, 'a0b1c2d3e410');
  let prev: string | undefined;
  const t0 = Math.floor(Date.now() / 1000) - 600;
  for (let i = 0; i < SEGMENTS; i++) {
    const c = await vr.create({ size: SIZE, start: t0 + i, duration: 1 }, prev);
    expect(c.status).toBe(200);
    expect((await put(String(c.body.url), new Uint8Array(SIZE).fill(0x47))).status).toBe(201);
    prev = String(c.body.name);
  }
  expect((await vr.save(prev!)).status).toBe(200);
  // The console's bundle is built at its first request: asked for here, so a loaded machine's build time does not count against the page's load.
  expect((await fetch(`${w.p.url}/sign-in`, INSECURE as RequestInit)).status).toBe(200);
  ({ page: alice, problems } = await signedInPage(browser, w.p.url, 'alice', w.users.alice));
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
});

describe('storage usage', () => {
  it("shows the camera's usage, and its owner's quota removes the oldest recordings at once", async () => {
    await alice.goto(`${w.p.url}/cameras/CAM-ALICE`);
    const usage = alice.getByTestId('device-usage');
    await usage.getByText('30.0 kB in 3 segments; no quota').waitFor({ timeout: PAGE_WAIT_MS });
    expect(await usage.getByText('Quota: the platform default.').count()).toBe(1);
    const oldest = await usage.getByTestId('usage-oldest').innerText();
    expect(oldest).toStartWith('Oldest kept: ');
    await alice.getByLabel('Quota (MB)').fill('0.025');
    await alice.getByRole('button', { name: 'Set quota' }).click();
    await alice.locator('#recordings .status.ok', { hasText: 'Quota set: 25.0 kB.' }).waitFor({ timeout: WAIT_MS });
    await usage.getByText('20.0 kB in 2 segments of 25.0 kB. When it is full, the oldest recordings go first.').waitFor();
    expect(await usage.locator('meter').getAttribute('value')).toBe('20000');
    expect(await usage.getByTestId('usage-oldest').innerText()).not.toBe(oldest); // the oldest went first
    await screenshot(alice, 'storage-usage-camera');
    await alice.getByRole('button', { name: 'Use the platform default' }).click();
    await alice.locator('#recordings .status.ok', { hasText: 'The platform default applies.' }).waitFor({ timeout: WAIT_MS });
    await usage.getByText('20.0 kB in 2 segments; no quota').waitFor();
  });

  it("shows what all the person's cameras keep against the plan on the cameras page", async () => {
    await alice.goto(`${w.p.url}/cameras`);
    const mine = alice.getByTestId('user-usage');
    await mine.getByText('20.0 kB in 2 segments of 50.0 kB.', { exact: false }).waitFor({ timeout: WAIT_MS });
    expect(await mine.locator('meter').getAttribute('max')).toBe(String(USER_QUOTA));
    expect(await mine.getByRole('definition').allInnerTexts()).toEqual(['20.0 kB in 2 segments']); // by camera: Alice has one
    await alice.locator('[data-device="CAM-ALICE"]').waitFor({ timeout: WAIT_MS });
    await screenshot(alice, 'storage-usage-cameras');
    expect(problems.errors).toEqual([]);
    expect(await problems.csp()).toEqual([]);
  });

  it('shows a viewer the usage but not the quota form', async () => {
    const token = await tokenOf(w.p, 'alice', w.users.alice);
    await json(w.p, '/api/devices/CAM-ALICE/shares', { method: 'POST', token, body: JSON.stringify({ username: 'bob', role: 'viewer' }) });
    const { page: bob } = await signedInPage(browser, w.p.url, 'bob', w.users.bob);
    await bob.goto(`${w.p.url}/cameras/CAM-ALICE`);
    await bob.getByTestId('device-usage').getByText('20.0 kB in 2 segments').waitFor({ timeout: WAIT_MS });
    expect(await bob.getByLabel('Quota (MB)').isVisible()).toBe(false);
    await bob.context().close();
  });
});
