/**
 * The API reference page (issue #23 point 9), in Chromium against a real platform: the console's nav
 * opens /api/docs, which Swagger UI (served by the platform from swagger-ui-dist, no CDN) draws from
 * /api/openapi.json, with every operation and its documented answers; the page's CSP allows only
 * this origin and nothing violates it.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { API_DOCS_CSP } from '../../routes/api-docs.routes.ts';
import { INSECURE } from '../helpers/platform.ts';
import { launchChromium, newContext, PHONE, screenshot, signIn, startConsoleWorld, trackProblems, type ConsoleWorld } from './helpers.ts';

setDefaultTimeout(60_000);

const DOCS_SCREENSHOTS = join(import.meta.dir, '..', '..', 'docs', 'screenshots');

let w: ConsoleWorld;
let browser: Browser;

beforeAll(async () => {
  [w, browser] = await Promise.all([startConsoleWorld(), launchChromium()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await w?.stop();
});

/** Wait until Swagger UI has drawn the operations. */
async function operationsDrawn(page: Page): Promise<void> {
  await page.locator('.opblock-summary-path[data-path="/api/devices/{id}/rpc"]').first().waitFor({ timeout: 20_000 });
}

describe('the API reference page', () => {
  it('opens from the console nav and shows every operation with its answers, under a self-only CSP', async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await signIn(page, w.p.url, 'alice', w.users.alice);
    const opened = context.waitForEvent('page');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API' }).click();
    const docs = await opened;
    const problems = await trackProblems(docs);
    await docs.reload(); // tracked from the start of the load
    await operationsDrawn(docs);

    const doc = await (await fetch(`${w.p.url}/api/openapi.json`, INSECURE as RequestInit)).json();
    const operations = Object.values(doc.paths as Record<string, object>).reduce((n, ops) => n + Object.keys(ops).length, 0);
    expect(await docs.locator('.opblock').count()).toBe(operations);
    await docs.screenshot({ path: join(DOCS_SCREENSHOTS, 'api-docs.png') });

    // An operation's answers: its success body and the problem JSON of each error.
    const rpc = docs.locator('.opblock-post', { has: docs.locator('.opblock-summary-path[data-path="/api/devices/{id}/rpc"]') });
    await rpc.locator('.opblock-summary-control').click();
    const codes = rpc.locator('.responses-table tr.response .response-col_status');
    await codes.first().waitFor();
    expect(await codes.allInnerTexts()).toEqual(['200', '400', '401', '403', '404', '413', '429', '502', '503', '504']);

    const answer = await fetch(`${w.p.url}/api/docs`, INSECURE as RequestInit);
    expect(answer.headers.get('content-security-policy')).toBe(API_DOCS_CSP);
    expect(API_DOCS_CSP).not.toMatch(/https?:|unsafe/);
    expect(await problems.csp()).toEqual([]);
    expect(problems.errors).toEqual([]);
    await rpc.locator('.responses-wrapper').scrollIntoViewIfNeeded();
    await screenshot(docs, 'api-docs');
    await context.close();
  });

  it('reads on a phone', async () => {
    const page = await (await newContext(browser, PHONE)).newPage();
    const problems = await trackProblems(page);
    await page.goto(`${w.p.url}/api/docs`);
    await operationsDrawn(page);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(await problems.csp()).toEqual([]);
    await screenshot(page, 'api-docs-phone');
    await page.screenshot({ path: join(DOCS_SCREENSHOTS, 'api-docs-phone.png') });
  });
});
