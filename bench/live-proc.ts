/**
 * What the live bench reads from /proc: CPU and nice values per thread, kernel UDP drops per port,
 * the load average, and free ports for the baseline's listeners. Used by bench/live.bench.ts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { statCpuSeconds, statNice } from './lib.ts';

/** CPU seconds per thread name (`SRT:RcvQ`, `SRT:TsbPd`, `bun`…) of one process; numbered suffixes merged. */
export function cpuByThread(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8')
        .trim()
        .replace(/:w\d+$/, '')
        .replace(/\d+$/, '#');
      out.set(name, (out.get(name) ?? 0) + statCpuSeconds(`/proc/${pid}/task/${t}/stat`));
    } catch {
      // the thread ended
    }
  }
  return out;
}
/**
 * Nice values of the threads of `pid`, `main` for its first thread and `srt` for libsrt's (named
 * `SRT:…`), each the distinct values joined by "/" ("?" when there is none).
 */
export function threadNice(pid: number): { main: string; srt: string } {
  const main = new Set<number>();
  const srt = new Set<number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8');
      const nice = statNice(`/proc/${pid}/task/${t}/stat`);
      if (t === String(pid)) main.add(nice);
      else if (comm.startsWith('SRT:')) srt.add(nice);
    } catch {
      // the thread ended
    }
  }
  const text = (s: Set<number>) => (s.size ? [...s].sort((a, b) => a - b).join('/') : '?');
  return { main: text(main), srt: text(srt) };
}
/** Lowest port of the baseline's listeners. */
export const BASELINE_PORT_FLOOR = 20_000;
/**
 * First of `count` consecutive ports for srt-live-transmit's listeners, at random between
 * BASELINE_PORT_FLOOR and the kernel's ephemeral range (ports the generator, the platform and
 * PostgreSQL clients get from bind(0) are taken from that range: a listener there could find its port
 * in use and never come up).
 */
export function baselinePortBase(count: number): number {
  const [ephemeralLow = 32_768] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number); // Linux's default low end
  const room = Math.max(0, ephemeralLow - BASELINE_PORT_FLOOR - count);
  return BASELINE_PORT_FLOOR + 2 * Math.floor((Math.random() * room) / 2);
}
/** The one-minute load average. */
export const load1 = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
/** Datagrams the kernel dropped per local UDP port (receive buffer full), from the `drops` column of /proc/net/udp{,6}. */
export function udpDropsByPort(): Map<number, number> {
  const out = new Map<number, number>();
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 13) continue;
      const port = parseInt(cols[1]!.split(':')[1]!, 16);
      out.set(port, (out.get(port) ?? 0) + Number(cols[cols.length - 1]));
    }
  }
  return out;
}
/** Kernel UDP drops on `ports` between two snapshots. */
export function dropsOn(ports: number[], a: Map<number, number>, b: Map<number, number>): number {
  return ports.reduce((n, p) => n + (b.get(p) ?? 0) - (a.get(p) ?? 0), 0);
}
