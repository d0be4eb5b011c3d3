import { afterAll, describe, expect, it, setDefaultTimeout } from 'bun:test';
import type { Subprocess } from 'bun';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgClient } from '../../db/client.ts';
import { CLUSTER_SKIP_REASON } from '../helpers/cluster.ts';
import { TEST_PG_URL } from '../helpers/db.ts';
import { INSECURE, READY_TIMEOUT_MS } from '../helpers/platform.ts';
import { until } from '../helpers/wait.ts';

/** Two nodes start, one is killed, the rest stop: real processes on a shared machine. */
setDefaultTimeout(120_000);
/** Nodes the script starts here: two are enough to see both ready, and one outlive the other. */
const NODES = 2;
/** Ports the test draws its base from: above the well-known and the usual development ones. */
const PORT_RANGE = { from: 20_000, to: 60_000 } as const;
/** Tries at drawing a free range of ports. */
const PORT_TRIES = 50;
/** How long the script may take to stop its nodes when the test failed half-way (a node flushes within seconds). */
const STOP_WAIT_MS = 15_000;
const ROOT = join(import.meta.dir, '..', '..');

/** A base port from which `n` TCP and `n` UDP ports are free now. */
function freePortBase(n: number): number {
  for (let t = 0; t < PORT_TRIES; t++) {
    const base = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from - n));
    const held: Array<{ stop?: () => void; close?: () => void }> = [];
    try {
      for (let i = 0; i < n; i++) {
        held.push(Bun.listen({ hostname: '0.0.0.0', port: base + i, socket: { data() {} } }));
      }
      return base;
    } catch {
      /* taken: draw again */
    } finally {
      for (const h of held) (h.stop ?? h.close)?.call(h);
    }
  }
  throw new Error(`no ${n} free ports found in ${PORT_TRIES} tries`);
}

const dir = join(tmpdir(), `h627-cluster-script-${process.pid}-${Date.now()}`);
const dbName = `h627_cluster_script_${process.pid}_${Date.now()}`;
let proc: Subprocess<'ignore', 'pipe', 'pipe'> | undefined;
const out: string[] = [];

afterAll(async () => {
  if (proc && proc.exitCode === null) {
    proc.kill('SIGTERM'); // the script stops its nodes; a kill -9 would leave them running
    await Promise.race([proc.exited, Bun.sleep(STOP_WAIT_MS)]);
    proc.kill('SIGKILL');
    await proc.exited;
  }
  rmSync(dir, { recursive: true, force: true });
  if (TEST_PG_URL) {
    const admin = pgClient(TEST_PG_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
});

describe.skipIf(!TEST_PG_URL)(`bun run cluster (${CLUSTER_SKIP_REASON})`, () => {
  it('creates the database, starts two nodes on consecutive ports, reports one that dies and stops the rest', async () => {
    const url = new URL(TEST_PG_URL!);
    url.pathname = `/${dbName}`;
    const http = freePortBase(NODES);
    const srt = freePortBase(NODES);
    const env = { ...process.env } as Record<string, string>;
    delete env.DATABASE_URL; // the script takes its database from --database-url only
    proc = Bun.spawn(
      [
        'bun',
        'run',
        'cluster',
        '--nodes',
        String(NODES),
        '--database-url',
        url.toString(),
        '--base-port',
        String(http),
        '--srt-base-port',
        String(srt),
        '--dir',
        dir,
      ],
      { cwd: ROOT, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' },
    );
    (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of proc!.stdout) out.push(...decoder.decode(chunk, { stream: true }).split('\n'));
    })();
    const text = () => out.join('\n');
    await until(
      async () => text(),
      (t) => t.includes('cluster: admin token') || !!proc!.exitCode,
      READY_TIMEOUT_MS,
    );

    // Each node's lines carry its id; each is ready on its port and healthy; they share the token in <dir>.
    for (let i = 0; i < NODES; i++) {
      expect(text()).toContain(`node-${i + 1} | ready https://127.0.0.1:${http + i}`);
      const r = await fetch(`https://127.0.0.1:${http + i}/healthz`, INSECURE as RequestInit);
      expect(r.status).toBe(200);
    }
    expect(text()).toContain(`cluster: created database ${dbName}`);
    const token = readFileSync(join(dir, 'admin-token'), 'utf8').trim();
    expect(text()).toContain(`cluster: admin token ${token}`);
    const devices = await fetch(`https://127.0.0.1:${http + 1}/api/admin/devices`, {
      headers: { Authorization: `Bearer ${token}` },
      ...INSECURE,
    } as RequestInit);
    expect(devices.status).toBe(200);

    // A node killed is reported, not restarted; the other keeps serving.
    const pid = Number(text().match(/node-2 {2}\S+ {2}\(SRT \d+, pid (\d+)\)/)?.[1]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await until(
      async () => text(),
      (t) => t.includes('cluster: node-2 was killed (SIGKILL); not restarted (1 of 2 nodes left)'),
    );
    expect((await fetch(`https://127.0.0.1:${http}/healthz`, INSECURE as RequestInit)).status).toBe(200);

    // SIGTERM stops the rest, each node cleanly.
    proc.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(text()).toMatch(/cluster: stopped \(exit statuses node-1 0, node-2 \S+\)/);
  });
});
