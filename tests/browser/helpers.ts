/**
 * Browser tests of the web console: a real platform process, simulated cameras (device/), and
 * Debian's Chromium driven headless by playwright-core (never a downloaded browser). Every test
 * saves a screenshot under tests/artifacts/ (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { SimulatedDevice, type MediaHooks, type SimulatedDeviceOptions } from '../../device/index.ts';
import { INSECURE, startTestPlatform, type TestPlatform } from '../helpers/platform.ts';

/** Debian's Chromium (scripts/setup.sh installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Flags for a headless Chromium on a closed network, as root, trusting the self-signed certificate once accepted. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--ignore-certificate-errors',
];
/** Where screenshots go. */
export const ARTIFACTS = join(import.meta.dir, '..', 'artifacts');
/** Desktop and phone viewports. */
export const DESKTOP = { width: 1366, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** Launch Chromium (playwright gives each launch a fresh, temporary user-data-dir). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** A new browser context: its own cookies, accepting the platform's self-signed certificate; `more` adds options (a time zone…). */
export function newContext(browser: Browser, viewport = DESKTOP, more: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport, ignoreHTTPSErrors: true, ...more });
}

/** Save a full-page screenshot as tests/artifacts/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true, timeout: 15_000 });
  return path;
}

/** What went wrong in a page: CSP violations (reported by the page itself) and uncaught errors. */
export interface PageProblems {
  /** Violated directives and blocked URLs so far. */
  csp(): Promise<string[]>;
  errors: string[];
}

/** Start collecting a page's CSP violations and uncaught errors (before it loads anything). */
export async function trackProblems(page: Page): Promise<PageProblems> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    const seen: string[] = ((window as unknown as { __csp: string[] }).__csp = []);
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  return { csp: () => page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []), errors };
}

/** Sign in through the console's form and wait for the cameras page. */
export async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(`${url}/sign-in`);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Cameras' }).waitFor();
}

/** A page in a fresh context, its problems tracked from the start, signed in as `username`. */
export async function signedInPage(
  browser: Browser,
  url: string,
  username: string,
  password: string,
  viewport = DESKTOP,
  more: BrowserContextOptions = {},
): Promise<{ page: Page; problems: PageProblems }> {
  const page = await (await newContext(browser, viewport, more)).newPage();
  const problems = await trackProblems(page);
  await signIn(page, url, username, password);
  return { page, problems };
}

/** Fetch JSON from the platform with a token. */
export async function json<T = any>(p: TestPlatform, path: string, init: RequestInit & { token?: string } = {}): Promise<T> {
  const r = await p.api(path, init);
  if (!r.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${r.status} ${await r.text()}`);
  return (r.status === 204 ? undefined : await r.json()) as T;
}

/** A user's session token (for setting up through the API). */
export async function tokenOf(p: TestPlatform, username: string, password: string): Promise<string> {
  const r = await fetch(`${p.url}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
    ...INSECURE,
  } as RequestInit);
  return (await r.json()).token;
}

/** A platform with an admin user, two owners, and one simulated camera bound to each owner. */
export interface ConsoleWorld {
  p: TestPlatform;
  cams: Record<'alice' | 'bob', SimulatedDevice>;
  /** Users and their passwords. */
  users: { admin: string; alice: string; bob: string };
  stop(): Promise<void>;
}

/** Options of {@link startConsoleWorld}: media hooks per camera (live push, recording), other camera options (timings, disk…), more platform variables. */
export interface WorldOptions {
  media?: Partial<Record<'alice' | 'bob', MediaHooks>>;
  cameras?: Partial<Record<'alice' | 'bob', Partial<Omit<SimulatedDeviceOptions, 'server' | 'id' | 'password' | 'mac' | 'media'>>>>;
  env?: Record<string, string>;
}

/** The world of the console tests. */
export async function startConsoleWorld(opts: WorldOptions = {}): Promise<ConsoleWorld> {
  const p = await startTestPlatform({ HB_INTERVAL_S: '5', ...opts.env });
  const users = { admin: 'admin-password', alice: 'alice-password', bob: 'bob-password' };
  await json(p, '/api/admin/users', { method: 'POST', body: JSON.stringify({ username: 'root', password: users.admin, role: 'admin' }) });
  const cams = {} as ConsoleWorld['cams'];
  let n = 0;
  for (const owner of ['alice', 'bob'] as const) {
    await json(p, '/api/admin/users', { method: 'POST', body: JSON.stringify({ username: owner, password: users[owner] }) });
    const id = `CAM-${owner.toUpperCase()}`;
    const mac = `a0b1c2d3e4${(0x10 + n++).toString(16)}`;
    await json(p, '/api/admin/devices', { method: 'POST', body: JSON.stringify({ device_id: id, password: 'camera-password', mac_id: mac, channels: [0] }) });
    const dev = new SimulatedDevice({
      server: p.url,
      id,
      password: 'camera-password',
      mac,
      channels: 1,
      tls: { rejectUnauthorized: false },
      hardwareModel: 'SIM-CAM',
      firmwareModel: 'FW1',
      bootMs: 300,
      capabilities: { ptz: true, battery: true },
      ...opts.cameras?.[owner],
      ...(opts.media?.[owner] ? { media: opts.media[owner] } : {}),
    });
    await dev.start();
    await dev.waitFor('online', 20_000);
    const token = await tokenOf(p, owner, users[owner]);
    const { bind_code } = await json(p, '/api/bind-codes', { method: 'POST', token });
    await dev.bind(bind_code);
    for (let i = 0; i < 100 && (await json(p, `/api/devices/${id}`)).owner_id === null; i++) await Bun.sleep(100);
    cams[owner] = dev;
  }
  return {
    p,
    cams,
    users,
    stop: async () => {
      for (const d of Object.values(cams)) await d.stop().catch(() => {});
      await p.cleanup();
    },
  };
}
