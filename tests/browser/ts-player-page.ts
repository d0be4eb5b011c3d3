/**
 * The page side of tests/browser/ts-player.test.ts (bundled by the test, not a test itself): the console's
 * camera/ts-player.ts with mpegts.js, driven from the test through `window`.
 */
import mpegts from 'mpegts.js';
import { playTs, type TsPlayer } from '../../web/src/camera/ts-player.ts';

const video = document.querySelector('video') as HTMLVideoElement;
let current: TsPlayer | undefined;
Object.assign(window, {
  start: (path: string) => {
    current = playTs(mpegts, video, `ws://${location.host}${path}`, {});
  },
  stop: () => current?.stop(),
  source: () => video.getAttribute('src'),
  playing: () => video.currentTime > 0,
});
