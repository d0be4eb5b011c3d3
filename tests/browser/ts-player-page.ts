/**
 * The page side of tests/browser/ts-player.test.ts (bundled by the test, not a test itself): the console's
 * camera/ts-player.ts with mpegts.js, driven from the test through `window`.
 */
import mpegts from 'mpegts.js';
import { playTs, type TsPlayer } from '../../web/src/camera/ts-player.ts';

/**
 * How long the page stays busy after a stop, as a page laying out a grid is: mpegts.js's worker then handles the stop
 * (and its socket's events) before the page can terminate it, every time instead of now and then.
 */
const BUSY_AFTER_STOP_MS = 50;

const video = document.querySelector('video') as HTMLVideoElement;
let current: TsPlayer | undefined;
Object.assign(window, {
  start: (path: string) => {
    current = playTs(mpegts, video, `ws://${location.host}${path}`, {});
  },
  stop: () => {
    current?.stop();
    for (const end = performance.now() + BUSY_AFTER_STOP_MS; performance.now() < end; );
  },
  source: () => video.getAttribute('src'),
  playing: () => video.currentTime > 0,
});
