/**
 * Stopping a live player (web/src/camera/ts-player.ts) at any moment of its start, in Chromium against a WebSocket
 * server that answers the handshake late and then sends real MPEG-TS (FFmpeg's test picture). mpegts.js throws an
 * uncaught exception in its worker when a player is destroyed while its WebSocket connects (xqq/mpegts.js#197); the
 * live grid did so when a tile left the screen as it started. The page is bundled as the console is, with its fix
 * (web/mpegts-fix.ts); without it this test fails: page errors named by the minified class of RuntimeException.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'bun';
import type { Browser, Page } from 'playwright-core';
import { until } from '../helpers/wait.ts';
import { DEFAULT_SOURCE } from '../../device/recorder-ffmpeg.ts';
import { mpegtsAbortFix } from '../../web/mpegts-fix.ts';
import { launchChromium, trackProblems, type PageProblems } from './helpers.ts';

setDefaultTimeout(60_000);

/** How late the server completes a WebSocket handshake: the window in which a stop meets a connecting socket. */
const HANDSHAKE_DELAY_MS = 500;
/**
 * Start-stop cycles a page, each stopped somewhere in that window. Chromium delays a page's new WebSocket handshakes
 * after many abandoned ones (here from the 12th on, by up to 4.4 s): ten stay clear of that, and fresh pages give more.
 */
const CYCLES = 10;
/** Pages of such cycles. */
const PAGES = 2;
/** How long a socket may take to reach the server, and to close once stopped. */
const FREED_MS = 15_000;

/** Two seconds of FFmpeg's test picture as MPEG-TS, H.264 Constrained Baseline as the cameras send it. */
const TEST_TS_ARGS = ['-f', 'lavfi', '-i', DEFAULT_SOURCE, '-t', '2', '-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-f', 'mpegts'];

interface Socket {
  opened: boolean;
  closed: boolean;
}
const sockets = new Map<string, Socket>();
let dir: string;
let server: Server<{ id: string }>;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'h627-ts-player-'));
  const ts = join(dir, 'test.ts');
  const ff = Bun.spawnSync(['ffmpeg', '-hide_banner', '-loglevel', 'error', ...TEST_TS_ARGS, ts], { stderr: 'pipe' });
  if (ff.exitCode !== 0) throw new Error(`ffmpeg: ${ff.stderr.toString()}`);
  const video = new Uint8Array(await Bun.file(ts).arrayBuffer());
  const built = await Bun.build({ entrypoints: [join(import.meta.dir, 'ts-player-page.ts')], target: 'browser', format: 'esm', plugins: [mpegtsAbortFix] });
  if (!built.success) throw new AggregateError(built.logs, 'page bundle failed');
  const script = await built.outputs[0]!.text();
  server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: async (req, srv) => {
      const url = new URL(req.url);
      if (url.pathname === '/page.js') return new Response(script, { headers: { 'content-type': 'text/javascript' } });
      if (url.pathname !== '/ts')
        return new Response('<!doctype html><video muted></video><script type="module" src="/page.js"></script>', { headers: { 'content-type': 'text/html' } });
      const id = url.searchParams.get('id') ?? '';
      sockets.set(id, { opened: false, closed: false });
      await Bun.sleep(Number(url.searchParams.get('delay') ?? 0));
      return srv.upgrade(req, { data: { id } }) ? undefined : new Response('upgrade failed', { status: 400 });
    },
    websocket: {
      open: (ws) => {
        sockets.get(ws.data.id)!.opened = true;
        ws.send(video);
      },
      message: () => {},
      close: (ws) => {
        sockets.get(ws.data.id)!.closed = true;
      },
    },
  });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  server?.stop(true);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fresh page (its own context and renderer) on the test page, and its problems. */
async function openPage(): Promise<{ page: Page; problems: PageProblems }> {
  const page = await (await browser.newContext()).newPage();
  const problems = await trackProblems(page);
  await page.goto(server.url.href);
  await page.waitForFunction(() => 'start' in window);
  return { page, problems };
}
const call = <T>(page: Page, name: string, arg?: string) =>
  page.evaluate(([n, a]) => (window as unknown as Record<string, (a?: string) => T>)[n!]!(a), [name, arg]);

describe('stopping a live player', () => {
  it('stopped while its WebSocket connects, again and again: no uncaught error in the page or its workers', async () => {
    for (let p = 0; p < PAGES; p++) {
      const { page, problems } = await openPage();
      for (let i = 0; i < CYCLES; i++) {
        const id = `p${p}c${i}`;
        await call(page, 'start', `/ts?id=${id}&delay=${HANDSHAKE_DELAY_MS}`);
        await until(async () => sockets.has(id), Boolean, FREED_MS); // the worker has opened its WebSocket
        await Bun.sleep(Math.floor((i / CYCLES) * HANDSHAKE_DELAY_MS * 0.6));
        expect(sockets.get(id)?.opened).toBe(false); // still connecting when stopped
        await call(page, 'stop');
      }
      await Bun.sleep(HANDSHAKE_DELAY_MS * 2); // every late handshake has been answered, into an aborted socket
      expect(await call<string | null>(page, 'source')).toBeNull();
      expect(problems.errors).toEqual([]);
      await page.context().close();
    }
  });

  it('plays once connected, and a stop closes its socket and frees the element', async () => {
    const { page, problems } = await openPage();
    await call(page, 'start', '/ts?id=plays');
    await until(() => call<boolean>(page, 'playing'), Boolean, FREED_MS);
    await call(page, 'stop');
    await until(async () => sockets.get('plays')?.closed, Boolean, FREED_MS);
    expect(await call<string | null>(page, 'source')).toBeNull();
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });
});
