/** What the recordings-panel browser tests share: a part of the page into docs/screenshots/, and "it plays". */
import { expect } from 'bun:test';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS } from './helpers.ts';

/** The screenshots the docs show. */
export const DOCS_SCREENSHOTS = join(import.meta.dir, '..', '..', 'docs', 'screenshots');
/** How long playback may take to start (the player loads the playlist and its first segment). */
const PLAYS_WITHIN_MS = 30_000;
/** The time watched to see the video advance, and by how much at least (seconds of video). */
const WATCH_MS = 1_200;
const ADVANCE_MIN_S = 0.3;

/** A part of the page (`selector`) into the artifacts and docs/screenshots/ as `<name>.png`. */
export async function docsShot(page: Page, selector: string, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.locator(selector).screenshot({ path, timeout: 15_000 });
  copyFileSync(path, join(DOCS_SCREENSHOTS, `${name}.png`));
}

/** Wait until the recordings panel plays (its video advancing), and return the wall-clock time it shows first. */
export async function playsRecording(page: Page): Promise<number> {
  await page.locator('#recordings .status.ok', { hasText: 'Playing from' }).waitFor({ timeout: PLAYS_WITHIN_MS });
  const shown = Number(await page.getByTestId('playback-time').getAttribute('data-t'));
  const t1 = await page.evaluate(() => document.querySelector<HTMLVideoElement>('video.rec-video')!.currentTime);
  await Bun.sleep(WATCH_MS);
  const t2 = await page.evaluate(() => document.querySelector<HTMLVideoElement>('video.rec-video')!.currentTime);
  expect(t2 - t1).toBeGreaterThan(ADVANCE_MIN_S);
  return shown;
}
