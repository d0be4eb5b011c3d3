/**
 * The simulator's command line (issue 23, problem 3): `bun run device` binds a camera with the code the console shows
 * and raises alarms, from flags and from typed commands; device/README.md's quick start runs as written.
 */
import { afterAll, beforeAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { Subprocess } from 'bun';
import { json, launchChromium, screenshot, signedInPage, startConsoleWorld, type ConsoleWorld } from './helpers.ts';

setDefaultTimeout(90_000);

const ROOT = join(import.meta.dir, '..', '..');
/** How long a started simulator takes to log in and its Bind to reach the console (Vs, Vd login, Bind). */
const BIND_SEEN_MS = 30_000;

let w: ConsoleWorld;
let browser: Browser;
const procs: Subprocess[] = [];

/** Stop a process this test started and its children (`bun run` starts the script as a child; bash the simulator). */
function killTree(pid: number): void {
  const kids = Bun.spawnSync(['ps', '-o', 'pid=', '--ppid', String(pid)])
    .stdout.toString()
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  for (const k of kids) killTree(k);
  try {
    process.kill(pid);
  } catch {
    // already gone
  }
}

/** Every stdout line of a process so far, and a way to wait for one. */
function lines(proc: { stdout: ReadableStream<Uint8Array> }): { all: string[]; until(re: RegExp, ms: number): Promise<string> } {
  const all: string[] = [];
  void (async () => {
    let rest = '';
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      const parts = (rest + decoder.decode(chunk, { stream: true })).split('\n');
      rest = parts.pop() ?? '';
      all.push(...parts);
    }
  })();
  return {
    all,
    until: async (re, ms) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const hit = all.find((l) => re.test(l));
        if (hit) return hit;
        await Bun.sleep(100);
      }
      throw new Error(`no line matching ${re} within ${ms} ms; got:\n${all.join('\n')}`);
    },
  };
}

beforeAll(async () => {
  [w, browser] = await Promise.all([startConsoleWorld(), launchChromium()]);
  await json(w.p, '/api/admin/devices', {
    method: 'POST',
    body: JSON.stringify({ device_id: 'CAM-CLI', password: 'camera-password', mac_id: 'a0:b1:c2:d3:e4:c1', channels: [0] }),
  });
}, 120_000);
afterAll(async () => {
  for (const p of procs) killTree(p.pid);
  await browser?.close();
  await w?.stop();
});

describe('bun run device', () => {
  it('binds the camera with the console’s code and raises alarms, from flags and typed commands', async () => {
    const { page, problems } = await signedInPage(browser, w.p.url, 'alice', w.users.alice);
    await page.getByRole('button', { name: 'Add a camera' }).click();
    const code = await page.getByTestId('bind-code').innerText();
    const sim = Bun.spawn(
      [
        'bun',
        'run',
        'device',
        '--server',
        w.p.url,
        '--id',
        'CAM-CLI',
        '--password',
        'camera-password',
        '--mac',
        'a0:b1:c2:d3:e4:c1',
        '--insecure',
        '--bind',
        code,
        '--alarm',
        'motion',
      ],
      { cwd: ROOT, stdin: 'pipe', stdout: 'pipe', stderr: 'inherit' },
    );
    procs.push(sim);
    const out = lines(sim);
    await page.locator('.bind .ok', { hasText: 'CAM-CLI is now bound to you.' }).waitFor({ timeout: BIND_SEEN_MS });
    expect(JSON.parse(await out.until(/"command":"alarm"/, BIND_SEEN_MS))).toMatchObject({ device: 'CAM-CLI', alarm: 'motion', state: 'start', channel: 0 });
    expect(JSON.parse(await out.until(/"command":"bind"/, BIND_SEEN_MS))).toMatchObject({ device: 'CAM-CLI' });
    await page.goto(`${w.p.url}/cameras/CAM-CLI`);
    await page.locator('#alarms li', { hasText: 'motion start on channel 0' }).waitFor();

    // Typed commands: an alarm by name, a mistake said plainly.
    sim.stdin.write('alarm bell_ring\nalarm fire\n');
    await sim.stdin.flush();
    await page.locator('#alarms li', { hasText: 'bell_ring pulse on channel 0' }).waitFor({ timeout: BIND_SEEN_MS });
    expect(JSON.parse(await out.until(/"error"/, BIND_SEEN_MS)).error).toContain('unknown alarm type fire');
    await screenshot(page, 'simulator-cli-bound-alarms');
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('runs device/README.md’s quick start as written (8-character passwords, bind code, alarm)', async () => {
    const readme = readFileSync(join(ROOT, 'device', 'README.md'), 'utf8');
    const block = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!;
    // The block's first line names the platform and its admin token; the rest runs as written against this platform.
    const [first, ...rest] = block.trim().split('\n');
    expect(first).toContain('API=https://127.0.0.1:8443');
    const script = `API=${w.p.url}; TOKEN=${w.p.adminToken}\n${rest.join('\n').replaceAll('a0:b1:c2:d3:e4:f5', 'a0:b1:c2:d3:e4:f6').replaceAll('cam-1', 'cam-readme')}`;
    const run = Bun.spawn(['bash', '-c', script], { cwd: ROOT, stdout: 'pipe', stderr: 'inherit' });
    procs.push(run);
    const out = lines(run);
    await out.until(/"command":"alarm".*"alarm":"motion"/, BIND_SEEN_MS);
    const owner = await json(w.p, '/api/admin/devices').then((r) => r.devices.find((d: { device_id: string }) => d.device_id === 'cam-readme'));
    expect(owner).toMatchObject({ owner: 'owner' });
    const alarms = await json(w.p, '/api/devices/cam-readme/alarms');
    expect(alarms.alarms[0]).toMatchObject({ type: 3, state: 'start' });
    killTree(run.pid);
  });
});
