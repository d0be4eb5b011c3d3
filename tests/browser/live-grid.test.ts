/**
 * The live grid (`/live`, issue 23 point 4): one tile per camera the person may see, each playing while it is on
 * screen and leaving its stream when scrolled away or when the page is left; and the admins' stream overview
 * (`GET /api/admin/streams`, the "Live streams" card on /admin) with viewers, bitrate and bytes.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import type { Browser, Page } from 'playwright-core';
import { ffmpegLive } from '../../device/index.ts';
import { until } from '../helpers/wait.ts';
import { openFeed } from '../helpers/sse.ts';
import { json, launchChromium, PHONE, screenshot, signedInPage, startConsoleWorld, tokenOf, type ConsoleWorld } from './helpers.ts';

setDefaultTimeout(90_000);

/** How long a tile may take from on screen to its first picture (PushLive, the SRT publish, the first keyframe). */
const FIRST_PICTURE_MS = 30_000;
/** How long a leave takes to reach the stream actor. */
const LEAVE_MS = 10_000;
/** A viewport so short that only one tile is on screen at a time. */
const SHORT = { width: PHONE.width, height: 420 };

let w: ConsoleWorld;
let browser: Browser;

const tile = (page: Page, id: string) => page.locator(`li.tile[data-device="${id}"]`);
const streamOf = async (page: Page, id: string) => (await tile(page, id).getByTestId('stream-state').getAttribute('data-stream'))!;
const viewers = async (streamId: string) => Object.keys((await json(w.p, `/api/actors/stream:${streamId}`)).context.viewers);
const playing = (page: Page, id: string) => tile(page, id).locator('p.status.ok', { hasText: 'Live.' }).waitFor({ timeout: FIRST_PICTURE_MS });

beforeAll(async () => {
  [w, browser] = await Promise.all([startConsoleWorld({ media: { alice: ffmpegLive(), bob: ffmpegLive() } }), launchChromium()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
});

describe('live grid', () => {
  it('shows each of the user’s cameras, and only theirs, playing on its own', async () => {
    const { page, problems } = await signedInPage(browser, w.p.url, 'alice', w.users.alice);
    await page.getByRole('link', { name: 'Live' }).click();
    await page.getByRole('heading', { level: 1, name: 'Live' }).waitFor();
    await playing(page, 'CAM-ALICE');
    expect(await page.locator('li.tile').evaluateAll((ts) => ts.map((t) => (t as HTMLElement).dataset.device))).toEqual(['CAM-ALICE']);
    const video = tile(page, 'CAM-ALICE').locator('video');
    const t1 = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
    await Bun.sleep(1_500);
    expect((await video.evaluate((v: HTMLVideoElement) => v.currentTime)) - t1).toBeGreaterThan(0.5);
    const streamId = await streamOf(page, 'CAM-ALICE');
    const actor = await json(w.p, `/api/actors/stream:${streamId}`);
    expect(Object.values(actor.context.viewers as Record<string, { kind: string }>).map((v) => v.kind)).toEqual(['ws']);
    await screenshot(page, 'live-grid');
    // The tile follows its stream actor through the grid's one feed (type=stream): Stop, and it lingers.
    await tile(page, 'CAM-ALICE').getByRole('button', { name: 'Stop live' }).click();
    await tile(page, 'CAM-ALICE').locator('[data-testid="stream-state"][data-state="live.lingering"]').waitFor({ timeout: LEAVE_MS });
    await tile(page, 'CAM-ALICE').getByRole('button', { name: 'Start live' }).click();
    await playing(page, 'CAM-ALICE');
    const again = await streamOf(page, 'CAM-ALICE');
    // Leaving the page leaves the stream.
    await page.getByRole('link', { name: 'Cameras' }).click();
    await until(async () => (await viewers(again)).length === 0, Boolean, LEAVE_MS);
    expect(streamId).toBe(again); // it was lingering: the same stream took the viewer back
    expect(await problems.csp()).toEqual([]);
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('starts a tile when it scrolls into view and stops it when it scrolls away (phone)', async () => {
    const { page, problems } = await signedInPage(browser, w.p.url, 'root', w.users.admin, PHONE);
    await page.goto(`${w.p.url}/live`);
    await playing(page, 'CAM-ALICE');
    await tile(page, 'CAM-BOB').waitFor();
    await screenshot(page, 'live-grid-phone');
    await page.setViewportSize(SHORT);
    await tile(page, 'CAM-ALICE').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    const alice = await streamOf(page, 'CAM-ALICE');
    // Bob's tile is below the fold: it has not started, or it stops now.
    await until(async () => (await tile(page, 'CAM-BOB').getAttribute('data-visible')) === 'false', Boolean, LEAVE_MS);
    await tile(page, 'CAM-BOB').evaluate((el) => el.scrollIntoView({ block: 'end' }));
    await playing(page, 'CAM-BOB');
    expect(await tile(page, 'CAM-ALICE').getAttribute('data-visible')).toBe('false');
    await until(async () => (await viewers(alice)).length === 0, Boolean, LEAVE_MS);
    expect(await tile(page, 'CAM-ALICE').getByRole('button', { name: 'Start live' }).count()).toBe(1);
    const bob = await streamOf(page, 'CAM-BOB');
    expect(await viewers(bob)).toHaveLength(1);
    // The way back: Alice's tile plays again.
    await tile(page, 'CAM-ALICE').evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await playing(page, 'CAM-ALICE');
    await until(async () => (await viewers(bob)).length === 0, Boolean, LEAVE_MS);
    const again = await streamOf(page, 'CAM-ALICE');
    await page.goto(`${w.p.url}/cameras`); // leaving the page leaves every tile's stream
    await until(async () => (await viewers(again)).length === 0, Boolean, LEAVE_MS);
    expect(await problems.csp()).toEqual([]);
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('gives admins an overview of the live streams: viewers, bitrate, bytes, since', async () => {
    const { page: viewer } = await signedInPage(browser, w.p.url, 'alice', w.users.alice);
    await viewer.goto(`${w.p.url}/live`);
    await playing(viewer, 'CAM-ALICE');
    const streamId = await streamOf(viewer, 'CAM-ALICE');
    await until(
      async () =>
        ((await json(w.p, '/api/admin/streams')).streams as Array<{ stream_id: string; bytes: number | null; viewers: number }>).some(
          (s) => s.stream_id === streamId && (s.bytes ?? 0) > 0 && s.viewers === 1, // the previous test's viewer has left
        ),
      Boolean, // the overview counts bytes and this one viewer
      LEAVE_MS,
    );
    const { streams } = await json(w.p, '/api/admin/streams');
    expect(streams.find((s: { stream_id: string }) => s.stream_id === streamId)).toMatchObject({
      device_id: 'CAM-ALICE',
      channel: 0,
      state: 'live.watching',
      viewers: 1,
      bitrate_bps: expect.any(Number),
      since: expect.any(Number),
    });
    // Admins only.
    const aliceToken = await tokenOf(w.p, 'alice', w.users.alice);
    expect((await w.p.api('/api/admin/streams', { token: aliceToken })).status).toBe(403);

    for (const [viewport, name] of [
      [undefined, 'admin-streams'],
      [PHONE, 'admin-streams-phone'],
    ] as const) {
      const { page } = await signedInPage(browser, w.p.url, 'root', w.users.admin, viewport);
      await page.goto(`${w.p.url}/admin`);
      const row = page.locator(`[data-testid="stream-overview"] tr[data-stream="${streamId}"]`);
      await row.waitFor();
      await row.locator('td[data-col="bitrate"]', { hasText: 'kbit/s' }).waitFor();
      expect(await row.locator('td[data-col="viewers"]').innerText()).toBe('1');
      expect(await row.locator('td').first().innerText()).toBe('CAM-ALICE');
      await page.locator('#streams').scrollIntoViewIfNeeded();
      await screenshot(page, name);
      await page.context().close();
    }
    await viewer.context().close();
  });

  it('gives a user one feed of their own cameras’ stream actors (type=stream), never another user’s', async () => {
    const [alice, bob] = [await tokenOf(w.p, 'alice', w.users.alice), await tokenOf(w.p, 'bob', w.users.bob)];
    const feed = await openFeed(w.p, '/api/events?topic=actors&type=stream&context=1', alice);
    const watch = (id: string, token: string) => json(w.p, `/api/devices/${id}/channels/0/live`, { method: 'POST', token, body: '{}' });
    const [mine, theirs] = [await watch('CAM-ALICE', alice), await watch('CAM-BOB', bob)];
    await until(async () => feed.of('transition').some((f) => f.data.actorId === `stream:${mine.stream_id}`), Boolean, LEAVE_MS);
    // Bob's stream moves as well (his viewer joined); none of it reaches Alice.
    await until(async () => (await json(w.p, `/api/actors/stream:${theirs.stream_id}`)).seq > 1, Boolean, LEAVE_MS);
    expect(feed.of('transition').filter((f) => f.data.deviceId !== 'CAM-ALICE')).toEqual([]);
    feed.close();
    for (const [id, t, token] of [
      ['CAM-ALICE', mine, alice],
      ['CAM-BOB', theirs, bob],
    ] as const)
      await json(w.p, `/api/devices/${id}/channels/0/live?stream_id=${t.stream_id}`, { method: 'DELETE', token });
  });
});
