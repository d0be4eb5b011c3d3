/**
 * The actor pages for engineers and QA, in Chromium against a real platform and simulated cameras
 * (issue 23, point 8 and problem 5): a pu with many segments keeps a short page (related actors by
 * type, paged); the list pages and filters by update time; each step shows its event's payload, zoned
 * or raw times and a diff that "Go to seq" replaces; the statechart zooms, pans and fits, and a click
 * on a state lists its transitions; the compact history hides keepalive-only steps; phone width.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { openDb } from '../../db/client.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { captureRecording, VrClient } from '../recording/helpers.ts';
import { json, launchChromium, newContext, PHONE, screenshot, signIn, startConsoleWorld, tokenOf, type ConsoleWorld } from './helpers.ts';

setDefaultTimeout(60_000);

/** Segments Alice's camera creates: far more than a related page shows. */
const SEGMENTS = 60;
/** Related actors a type shows at first (web/src/pages/actor-related.ts RELATED_PAGE). */
const RELATED_PAGE = 10;
/** Tallest the pu page may be at desktop width with all those segments (it was 4,513 px listing them all). */
const PAGE_HEIGHT_MAX_PX = 3000;
/** Keepalive-only steps put into Bob's history for the compact test. */
const KEEPALIVES = 4;
const DOCS = join(import.meta.dir, '..', '..', 'docs', 'screenshots');

let w: ConsoleWorld;
let browser: Browser;
let page: Page;
let restarted: TestPlatform | undefined;
/** A second before Alice's camera created its segments. */
let beforeSegments = 0;
const recCap = captureRecording();
const viewBox = () => page.locator('.diagram svg').getAttribute('viewBox');
const diff = () => page.getByTestId('step-diff').innerText();

/** Save a screenshot into docs/ as well (the viewport only, to keep it small). */
async function docShot(p: Page, name: string): Promise<void> {
  await screenshot(p, name);
  mkdirSync(DOCS, { recursive: true });
  await p.screenshot({ path: join(DOCS, `${name}.png`), timeout: 15_000 });
}

beforeAll(async () => {
  [w, browser] = await Promise.all([startConsoleWorld({ media: { alice: recCap.hooks } }), launchChromium()]);
  const alice = await tokenOf(w.p, 'alice', w.users.alice);
  await json(w.p, '/api/devices/CAM-ALICE/channels/0/recording', { method: 'POST', token: alice, body: JSON.stringify({ seg_duration: 1 }) });
  for (let i = 0; i < 100 && recCap.starts.length === 0; i++) await Bun.sleep(100);
  const vr = new VrClient(recCap.starts[0]!.cbk_url, w.cams.alice.mac);
  const t0 = Math.floor(Date.now() / 1000) - 3600;
  beforeSegments = Date.now() - 1000;
  await Bun.sleep(1000);
  for (let i = 0; i < SEGMENTS; i++) expect((await vr.create({ size: 1000, start: t0 + i, duration: 1 })).status).toBe(200);
  page = await (await newContext(browser)).newPage();
  await signIn(page, w.p.url, 'root', w.users.admin);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await restarted?.stop();
  await w?.stop();
});

describe('actor pages', () => {
  it('keeps a pu page with many segments short: related actors by type with counts, a first page and "More"', async () => {
    await page.goto(`${w.p.url}/actors/${encodeURIComponent('pu:CAM-ALICE')}`);
    const segs = page.locator('details.related-group[data-type="segment"]');
    await segs.locator('summary', { hasText: `(${SEGMENTS})` }).waitFor();
    expect(await segs.locator('li').count()).toBe(RELATED_PAGE);
    expect(await page.locator('details.related-group[data-type="recording"] li').count()).toBe(1);
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    expect(height).toBeLessThan(PAGE_HEIGHT_MAX_PX);
    await segs.getByRole('button', { name: /^More/ }).click();
    await segs
      .locator('li')
      .nth(2 * RELATED_PAGE - 1)
      .waitFor();
    expect(await segs.locator('li').count()).toBe(2 * RELATED_PAGE);
    expect(await segs.getByRole('button', { name: /^More/ }).innerText()).toBe(`More (${2 * RELATED_PAGE} of ${SEGMENTS} shown)`);
    await screenshot(page, 'actor-related');
  });

  it("shows each step's event payload, times in the reader's zone or raw, and the diff", async () => {
    const connected = page.locator('table.timeline tr', { hasText: 'vd.connected' }).first();
    await connected.click();
    await page.getByTestId('step-payload').filter({ hasText: '"sdk": "h627-device-sdk' }).waitFor();
    expect(await diff()).toContain('connId');
    const at = Number(await connected.getAttribute('data-seq'));
    const row = (await json(w.p, `/api/actors/pu%3ACAM-ALICE/history?after=${at - 1}&limit=1`)).events[0];
    const zoned = await connected.locator('td.time').innerText();
    expect(zoned).toContain('UTC');
    expect(zoned).not.toContain(String(row.at));
    await page.getByLabel('Raw times (epoch ms)').check();
    expect(await connected.locator('td.time').innerText()).toBe(String(row.at));
    expect(await page.getByTestId('step-info').innerText()).toContain(`at ${row.at}`);
    await page.getByLabel('Raw times (epoch ms)').uncheck();
    expect(await connected.locator('td.time').innerText()).toBe(zoned);
  });

  it('bounds a long payload with "Show all"', async () => {
    // The camera's capabilities (GetCap at login; the pu keeps the answer) are longer than a preview.
    const row = page.locator('table.timeline tr', { hasText: 'cmd.result GetCap' }).last();
    await row.waitFor();
    await row.click();
    const all = page.getByRole('button', { name: /^Show all/ });
    await all.waitFor();
    const short = (await page.getByTestId('step-payload').innerText()).length;
    expect(await page.getByTestId('step-payload').innerText()).toEndWith('…');
    await all.click();
    const full = await page.getByTestId('step-payload').innerText();
    expect(full.length).toBeGreaterThan(short);
    expect(JSON.parse(full).name).toBe('GetCap');
    expect(await page.getByRole('button', { name: 'Show less' }).getAttribute('aria-expanded')).toBe('true');
  });

  it('replaces the diff on "Go to seq", and clears it for a seq that is not there', async () => {
    await page.locator('table.timeline tr', { hasText: 'vd.connected' }).first().click();
    expect(await diff()).toContain('connId');
    await page.getByLabel('Sequence number').fill('1');
    await page.getByRole('button', { name: 'Go to seq' }).click();
    await page.getByTestId('step-info').filter({ hasText: 'Step seq 1 ' }).waitFor();
    expect(await diff()).toContain('scheduledAt');
    expect(await diff()).not.toContain('connId');
    await page.getByLabel('Sequence number').fill('99999');
    await page.getByRole('button', { name: 'Go to seq' }).click();
    await page.getByTestId('step-info').filter({ hasText: 'No step with seq 99999' }).waitFor();
    expect(await diff()).toBe('No step selected.');
    expect(await page.locator('table.timeline tr[aria-selected="true"]').count()).toBe(0);
  });

  it('zooms, pans and fits the statechart with buttons, the wheel and dragging', async () => {
    const fit = await viewBox();
    const [, , fw] = fit!.split(' ').map(Number);
    await page.getByRole('button', { name: 'Zoom in' }).click();
    const zoomed = (await viewBox())!.split(' ').map(Number);
    expect(zoomed[2]).toBeLessThan(fw!);
    const box = (await page.getByTestId('diagram').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 80, box.y + box.height / 2 - 40, { steps: 5 });
    await page.mouse.up();
    const panned = (await viewBox())!.split(' ').map(Number);
    expect(panned[2]).toBe(zoomed[2]!);
    expect(panned[0] !== zoomed[0] || panned[1] !== zoomed[1]).toBe(true);
    await page.mouse.wheel(0, -300);
    await page.waitForFunction((w0) => Number(document.querySelector('.diagram svg')!.getAttribute('viewBox')!.split(' ')[2]) < w0, panned[2]!);
    await page.getByRole('button', { name: 'Current state' }).click();
    // At the readable zoom the diagram's 11 px text is drawn at least 13 px high.
    const textPx = await page.evaluate(() => {
      const t = document.querySelector('.diagram g.sc-state.sc-active text.sc-name')!;
      return t.getBoundingClientRect().height;
    });
    expect(textPx).toBeGreaterThanOrEqual(13);
    await page.getByRole('button', { name: 'Fit the whole statechart' }).click();
    expect(await viewBox()).toBe(fit);
    expect(await page.getByTestId('zoom-level').innerText()).toBe('Fit');
  });

  it("lists a state's transitions, its events and targets, when it is clicked", async () => {
    await page.locator('.diagram g.sc-state[data-state="online.ready"] > rect').click();
    const panel = page.getByTestId('state-transitions');
    await panel.locator('h3', { hasText: 'online.ready' }).waitFor();
    const own = panel.locator('ul[data-from="online.ready"] li');
    expect(await own.count()).toBeGreaterThan(0);
    const reboot = own.filter({ hasText: 'cmd.request [isCommand(RebootDevice)]' });
    expect(await reboot.locator('button').innerText()).toBe('online.rebooting');
    await panel.getByRole('heading', { name: 'In any state' }).waitFor();
    expect(await panel.locator('ul[data-from="*"] li', { hasText: 'device.deprovisioned' }).locator('button').innerText()).toBe('deprovisioned');
    await panel.locator('h4', { hasText: 'Inherited from online' }).waitFor();
    expect(await page.locator('.diagram g.sc-edge.sc-out[data-source="online.ready"]').count()).toBe(
      await page.locator('.diagram g.sc-edge[data-source="online.ready"]').count(),
    );
    await reboot.locator('button').click();
    await panel.locator('h3', { hasText: 'online.rebooting' }).waitFor();
    await docShot(page, 'actor-page-desktop');
  });

  it('filters the actor list by an update-time range', async () => {
    await page.goto(`${w.p.url}/actors?type=segment`);
    const rows = page.locator('table.actors tbody tr');
    await rows.nth(SEGMENTS - 1).waitFor();
    expect(await rows.count()).toBe(SEGMENTS); // fewer than a page: no "More"
    expect(await page.getByRole('button', { name: 'More', exact: true }).isVisible()).toBe(false);
    const local = (ms: number) => new Date(ms).toISOString().slice(0, 19); // the browser's zone is UTC
    await page.getByLabel('Updated until').fill(local(beforeSegments));
    await page.getByRole('button', { name: 'Filter' }).click();
    await rows.first().waitFor({ state: 'detached' });
    await page.getByText('0 actors.').waitFor();
    expect(page.url()).toContain('until=');
    await page.getByLabel('Updated until').fill('');
    await page.getByLabel('Updated since').fill(local(beforeSegments));
    await page.getByRole('button', { name: 'Filter' }).click();
    await rows.nth(SEGMENTS - 1).waitFor();
    expect(await rows.count()).toBe(SEGMENTS);
    await screenshot(page, 'actors-time-range');
  });

  it('shows the page at phone width without making it wider than the screen', async () => {
    const phone = await (await newContext(browser, PHONE)).newPage();
    await signIn(phone, w.p.url, 'root', w.users.admin);
    await phone.goto(`${w.p.url}/actors/${encodeURIComponent('pu:CAM-ALICE')}`);
    await phone.locator('.diagram g.sc-state.sc-active').first().waitFor();
    await phone.getByRole('button', { name: 'Zoom in' }).click();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const svg = (await phone.locator('.diagram svg').boundingBox())!;
    expect(svg.width).toBeLessThanOrEqual(PHONE.width);
    await phone.getByRole('button', { name: 'Fit the whole statechart' }).click();
    await screenshot(phone, 'actor-page-phone-fit');
    // Zoomed to the current state (readable), with its transitions listed below the diagram.
    await phone.getByRole('button', { name: 'Current state' }).click();
    await phone.locator('.diagram g.sc-state[data-state="online.ready"] > rect').click();
    await phone.getByTestId('state-transitions').locator('h3', { hasText: 'online.ready' }).waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await phone.getByTestId('diagram').scrollIntoViewIfNeeded();
    await docShot(phone, 'actor-page-phone');
    await phone.goto(`${w.p.url}/actors`);
    await phone.locator('table.actors tbody tr').first().waitFor();
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await screenshot(phone, 'actors-phone');
    await phone.close();
  });

  it('hides keepalive-only steps in the compact history', async () => {
    // Bob's history as the platform logged keepalives before they became volatile (issue #19): steps
    // of a Vd Keepalive that moved no state and changed only the last-seen time. They are appended to
    // the stored log while the platform is down (the store folds logged diffs past a row's context).
    const id = 'pu:CAM-BOB';
    expect(await w.p.stop()).toBe(0);
    const db = await openDb(TEST_PG_URL ? { url: w.p.env.DATABASE_URL!, migrate: false } : { pgliteDir: join(w.p.dataDir, 'pg'), migrate: false });
    const [head] = await db.rows<{ seq: number; value: unknown; at: number }>(
      sql`SELECT seq::int AS seq, value, (extract(epoch from at) * 1000)::float8 AS at FROM actor_events WHERE actor_id = ${id} ORDER BY seq DESC LIMIT 1`,
    );
    const [actor] = await db.rows<{ context: { connId?: string; deviceState?: number } }>(sql`SELECT context FROM actors WHERE id = ${id}`);
    for (let i = 1; i <= KEEPALIVES; i++) {
      const at = Math.floor(head!.at) + i * 1000;
      const event = { type: 'vd.keepalive', connId: actor!.context.connId, state: actor!.context.deviceState ?? 0, channels: [], at };
      await db.rows(sql`INSERT INTO actor_events (actor_id, seq, at, machine_version, event, value, changes, context)
        VALUES (${id}, ${head!.seq + i}, to_timestamp(${at / 1000}), 1, ${JSON.stringify(event)}::json, ${JSON.stringify(head!.value)}::json,
          ${JSON.stringify({ set: { lastSeenAt: at }, unset: [] })}::json, NULL)`);
    }
    await db.close();
    restarted = await w.p.restart();

    await page.goto(`${restarted.url}/actors/${encodeURIComponent(id)}`);
    const rows = page.locator('table.timeline tbody tr');
    await page.locator(`table.timeline tr[data-seq="${head!.seq + KEEPALIVES}"]`).waitFor();
    const all = await rows.count();
    const keepaliveOnly = page.locator('table.timeline tr[data-keepalive-only]');
    expect(await keepaliveOnly.count()).toBe(KEEPALIVES);
    const compact = page.getByLabel('Compact (hide keepalive-only steps)');
    if (await compact.isChecked()) await compact.uncheck();
    expect(await page.locator('table.timeline tr[data-keepalive-only]:visible').count()).toBe(KEEPALIVES);
    await compact.check();
    // Only those are hidden (rows may still arrive live as Bob's camera logs in again).
    expect(await page.locator('table.timeline tr[data-keepalive-only]:visible').count()).toBe(0);
    const others = page.locator('table.timeline tbody tr:not([data-keepalive-only])');
    expect(await page.locator('table.timeline tbody tr:not([data-keepalive-only]):visible').count()).toBe(await others.count());
    // A keepalive that changed more than the last-seen time (the first, with the channel states) stays.
    expect(await page.locator('table.timeline tr:visible', { hasText: 'vd.keepalive' }).count()).toBeGreaterThan(0);
    // Stepping skips the hidden steps.
    await page.getByRole('button', { name: 'First step' }).click();
    for (let i = 0; i < all; i++) {
      const info = await page.getByTestId('step-info').innerText();
      const seq = Number(info.match(/seq (\d+)/)![1]);
      expect(seq <= head!.seq || seq > head!.seq + KEEPALIVES).toBe(true);
      if (await page.getByRole('button', { name: 'Next step' }).isDisabled()) break;
      await page.getByRole('button', { name: 'Next step' }).click();
    }
    await screenshot(page, 'actor-compact');
    await compact.uncheck();
  });
});
