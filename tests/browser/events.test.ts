/**
 * The events page (issue #23 points 3 and 6, docs/console.md "Events"), in Chromium against a real platform and
 * simulated cameras: a user's cameras' alarms, offline and back online, never another user's; the kind filter (kept
 * in the URL); keyset pages back and forth; an alarm's link to its camera; and the webhooks section: a webhook added
 * (its secret shown once), an alarm delivered to the HTTPS receiver this test runs (WEBHOOK_INSECURE_TLS=1: its
 * certificate is self-signed), and the delivery in its history. Screenshots at desktop and phone width.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Config } from '../../lib/config.ts';
import { ensureTls } from '../../boot/tls.ts';
import { verify } from '../../services/webhooks/signature.ts';
import { until } from '../helpers/wait.ts';
import { json, launchChromium, PHONE, screenshot, signedInPage, startConsoleWorld, tokenOf, trackProblems, type ConsoleWorld } from './helpers.ts';

setDefaultTimeout(120_000);

/** The page's rows per page (web/src/pages/events.ts PAGE_ROWS). */
const PAGE_ROWS = 25;
const DOCS_SHOTS = join(import.meta.dir, '..', '..', 'docs', 'screenshots');

let w: ConsoleWorld;
let browser: Browser;
let page: Page;
let dir: string;
let rx: { server: ReturnType<typeof Bun.serve>; got: Array<{ body: string; signature: string | null; timestamp: string | null }>; url: string };

const rows = (p: Page) => p.locator('table.events tbody tr');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'h627-events-rx-'));
  const tls = await ensureTls({ publicHost: '127.0.0.1', tlsDir: dir } as Config);
  const got: typeof rx.got = [];
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    tls,
    fetch: async (req) => {
      got.push({ body: await req.text(), signature: req.headers.get('X-H627-Signature'), timestamp: req.headers.get('X-H627-Timestamp') });
      return new Response('ok');
    },
  });
  rx = { server, got, url: `https://127.0.0.1:${server.port}/h627` };
  [w, browser] = await Promise.all([
    startConsoleWorld({
      env: {
        HB_INTERVAL_S: '1',
        WEBHOOK_INSECURE_TLS: '1',
        WEBHOOK_ALLOW_PRIVATE: '1',
        WEBHOOK_RETRY_BASE_S: '0.5',
        VD_MESSAGES_PER_S: '100',
        VD_MESSAGE_BURST: '100',
      },
    }),
    launchChromium(),
  ]);
  const alice = await tokenOf(w.p, 'alice', w.users.alice);
  await w.cams.alice.camera.raiseAlarm(3);
  await w.cams.bob.camera.raiseAlarm(3);
  await w.cams.alice.stop();
  await until(
    async () => (await json(w.p, '/api/events/history?kind=offline', { token: alice })).events.length,
    (n) => n >= 1,
    30_000,
  );
  await w.cams.alice.start();
  await w.cams.alice.waitFor('online', 30_000);
  await w.cams.alice.camera.raiseAlarm(3, 'end');
  ({ page } = await signedInPage(browser, w.p.url, 'alice', w.users.alice));
});

afterAll(async () => {
  await browser?.close();
  await w?.stop();
  rx?.server.stop(true);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the events page', () => {
  it("lists the user's cameras' events, newest first, with links to the camera, and none of another user's", async () => {
    const problems = await trackProblems(page);
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
    await until(
      async () => rows(page).count(),
      (n) => n >= 5,
    );
    const kinds = await rows(page).evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.kind));
    expect(kinds).toEqual(['alarm', 'online', 'offline', 'alarm', 'online']);
    const cams = await rows(page).locator('td:nth-child(2)').allInnerTexts();
    expect(new Set(cams)).toEqual(new Set(['CAM-ALICE']));
    expect(await rows(page).first().innerText()).toContain('motion end');
    expect(await rows(page).nth(2).innerText()).toMatch(/Offline/);
    await screenshot(page, 'events-desktop');
    copyFileSync(join(import.meta.dir, '..', 'artifacts', 'events-desktop.png'), join(DOCS_SHOTS, 'events-desktop.png'));

    // An alarm's link opens its camera.
    await rows(page).first().getByRole('link', { name: 'Open the camera' }).click();
    await page.getByRole('heading', { level: 1, name: /CAM-ALICE/ }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
    expect(problems.errors).toEqual([]);
    expect(await problems.csp()).toEqual([]);
  });

  it('filters by kind (in the URL) and pages back and forth', async () => {
    await page.getByLabel('Kind').selectOption('alarm');
    await page.getByRole('button', { name: 'Filter' }).click();
    await until(
      async () => rows(page).evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.kind)),
      (k) => k.length === 2 && k.every((x) => x === 'alarm'),
    );
    expect(new URL(page.url()).searchParams.get('kind')).toBe('alarm');

    // Enough alarms for two pages: bell rings (pulses).
    for (let i = 0; i < PAGE_ROWS; i++) await w.cams.alice.camera.raiseAlarm(10);
    const token = await tokenOf(w.p, 'alice', w.users.alice);
    await until(
      async () => (await json(w.p, '/api/events/history?kind=alarm&limit=200', { token })).events.length,
      (n) => n === PAGE_ROWS + 2,
    );
    await page.getByRole('button', { name: 'Filter' }).click();
    await until(
      async () => rows(page).count(),
      (n) => n === PAGE_ROWS,
    );
    const firstOfPage1 = await rows(page).first().getAttribute('data-event');
    expect(await page.getByRole('button', { name: 'Newer' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Older' }).click();
    await until(
      async () => rows(page).count(),
      (n) => n === 2,
    );
    expect(await page.getByText('Page 2').isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Older' }).isDisabled()).toBe(true);
    expect(await rows(page).last().innerText()).toContain('motion start');
    await page.getByRole('button', { name: 'Newer' }).click();
    await until(
      async () => rows(page).first().getAttribute('data-event'),
      (id) => id === firstOfPage1,
    );
  });

  it('adds a webhook, shows its secret once, delivers an alarm to it, and shows the delivery', async () => {
    const section = page.locator('#webhooks');
    await section.getByLabel('URL (https)').fill(rx.url);
    for (const k of ['Offline', 'Back online', 'Recording failed', 'Firmware upgraded', 'Firmware upgrade failed']) await section.getByLabel(k).uncheck();
    await section.getByRole('button', { name: 'Add the webhook' }).click();
    const secret = (await section.getByTestId('webhook-secret').innerText()).trim();
    expect(secret).toMatch(/^whsec_/);
    await section.locator('li.webhook', { hasText: rx.url }).waitFor();
    expect(await section.locator('li.webhook').innerText()).toContain('Alarm');

    await w.cams.alice.camera.raiseAlarm(11);
    const got = await until(
      async () => rx.got.find((g) => JSON.parse(g.body).data.type === 11),
      (g) => g !== undefined,
      30_000,
    );
    expect(verify(secret, got!.signature, got!.timestamp, got!.body)).toBe(true);
    await section.getByRole('button', { name: 'Deliveries' }).click();
    const delivered = section.locator('table.deliveries tr[data-status="delivered"]');
    await delivered.first().waitFor();
    expect(await delivered.first().innerText()).toContain('HTTP 200');
    await screenshot(page, 'events-webhooks-desktop');

    // The secret is not shown again.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
    expect(await page.content()).not.toContain(secret);
  });

  it('reads well at phone width', async () => {
    const { page: phone, problems } = await signedInPage(browser, w.p.url, 'alice', w.users.alice, PHONE);
    await phone.goto(`${w.p.url}/events`);
    await phone.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
    await until(
      async () => rows(phone).count(),
      (n) => n === PAGE_ROWS,
    );
    // Nothing wider than the screen but the table, which scrolls in its own box.
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(phone, 'events-phone');
    // The docs keep the first screen only (the full page is in the artifacts).
    await phone.screenshot({ path: join(DOCS_SHOTS, 'events-phone.png'), timeout: 15_000 });
    expect(problems.errors).toEqual([]);
  });
});
