/**
 * The keepalive bench's load generators (bench/keepalive-load.ts processes driven over IPC) and the
 * reductions of their samples: used by bench/keepalive.bench.ts.
 */
import { join } from 'node:path';
import { percentile, procCpuSeconds } from './lib.ts';

/** The password every provisioned PU logs in with. */
export const PASSWORD = 'bench-password';

/** A progress line on stderr while the run goes on (the report comes at the end, on stdout). */
export function progress(text: string) {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`);
}

/** One load generator process (bench/keepalive-load.ts), asked over IPC; each answer in turn; `extra`: more of its options. */
export function loadGen(url: string, count: number, first = 0, extra: string[] = []) {
  const waiting: Array<(m: Record<string, unknown>) => void> = [];
  const proc = Bun.spawn(
    ['bun', join(import.meta.dir, 'keepalive-load.ts'), '--url', url, '--count', String(count), '--first', String(first), '--password', PASSWORD, ...extra],
    {
      stdio: ['inherit', 'inherit', 'inherit'],
      ipc: (m) => waiting.shift()?.(m as Record<string, unknown>),
    },
  );
  const next = () => new Promise<Record<string, unknown>>((r) => waiting.push(r));
  const ask = (m: Record<string, unknown>) => {
    const p = next();
    proc.send(m);
    return p;
  };
  return { proc, next, ask };
}

/**
 * Processes the PUs outside the control group are spread over. One: with two (tried), each pause of
 * one generator's garbage collector (17,000 clients, a 90 MB heap, pauses up to 80 ms) was shorter,
 * but the 1 s interval's p99 did not change (28.3 against 30.6 ms in one run each), and the storm's
 * logins came from twice the client threads at once, a harsher storm than before for both servers
 * (the bare server's control group p99 178 ms).
 */
const GEN_PROCESSES = 1;

/** Load generators started together: asked the same, their answers in one list. */
export function loadGens(url: string, count: number, first: number) {
  const per = Math.ceil(count / GEN_PROCESSES);
  const parts = Array.from({ length: GEN_PROCESSES }, (_, k) => loadGen(url, Math.min(per, count - k * per), first + k * per));
  return {
    parts,
    ready: () => Promise.all(parts.map((g) => g.next())),
    askAll: (m: Record<string, unknown>) => Promise.all(parts.map((g) => g.ask(m))),
    /** One answer for the group: counts summed, the slowest time, reasons joined. */
    ask: async (m: Record<string, unknown>) => {
      const all = await Promise.all(parts.map((g) => g.ask(m)));
      return {
        ...all[0],
        ok: all.reduce((a, r) => a + Number(r.ok), 0),
        ms: Math.max(...all.map((r) => Number(r.ms))),
        loginFailureReasons: all
          .map((r) => r.loginFailureReasons)
          .filter(Boolean)
          .join('; '),
      } as Record<string, unknown>;
    },
    exited: () => Promise.all(parts.map((g) => g.proc.exited)),
    cpuSeconds: () => parts.reduce((a, g) => a + procCpuSeconds(g.proc.pid), 0),
  };
}
export type Gens = ReturnType<typeof loadGens>;

/**
 * The window's p99 second by second: whether the tail is spread evenly or comes from a few
 * seconds (a garbage collection, a burst of row writes). Returns the median and the worst second.
 */
export function bySecond(samples: number[], at: number[]): { median: number; worst: number; worstAt: number } {
  let t0 = Infinity;
  for (const t of at) if (t < t0) t0 = t; // a loop: half a million samples are too many arguments for Math.min
  const per = new Map<number, number[]>();
  for (let i = 0; i < samples.length; i++) {
    const k = Math.floor((at[i]! - t0) / 1000);
    let list = per.get(k);
    if (!list) per.set(k, (list = []));
    list.push(samples[i]!);
  }
  const p99s = [...per].filter(([, v]) => v.length >= 100).map(([k, v]) => [k, percentile(v, 99)] as const);
  const worst = p99s.reduce((a, b) => (b[1] > a[1] ? b : a), [0, 0] as const);
  return {
    median: percentile(
      p99s.map(([, p]) => p),
      50,
    ),
    worst: worst[1],
    worstAt: worst[0],
  };
}
