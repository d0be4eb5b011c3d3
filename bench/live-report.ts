/**
 * The live benchmark's figures and printed report: what each phase measured, derived rates, the
 * quality table, the ratios against srt-live-transmit, thread breakdowns and the issue's goals.
 */
import { table } from './lib.ts';
import { GENERATOR_STALL_MS, JOIN_SETTLE_MS, MSG_BYTES, PROBE_EVERY_MESSAGES, PROBE_PID } from './live-ts.ts';
import type { SrtMeasure, WsMeasure } from './live-messages.ts';

/** Relay plus generator above this share of all cores: the phase measures starvation, and the report says so. */
export const SATURATED_SHARE = 0.85;
/** The added-latency goal of the issue, ms (p99). */
const GOAL_P99_MS = 20;
/** The CPU goal of the issue: platform CPU per relayed Mbit/s at most this multiple of srt-live-transmit's. */
const GOAL_CPU_RATIO = 1.5;
/** Threads below this share of a core are left out of the breakdown, %. */
const THREAD_MIN_PCT = 0.5;

/** What one measured phase saw. */
export interface Phase {
  label: string;
  /** The platform's phases (with the SRT viewers only or with WSS too) or the baseline. */
  kind: 'mixed' | 'srt-only' | 'baseline';
  wallS: number;
  /** CPU seconds of the relay process(es), of the generator, of PostgreSQL (when used). */
  cpuS: number;
  genCpuS: number;
  pgCpuS: number;
  rss: number;
  /** 1-minute load average at the start and the end. */
  load: [number, number];
  srt: SrtMeasure;
  ws: WsMeasure;
  /** The generator's window (reset → measure), s. */
  windowS: number;
  threads: Map<string, number>;
  genThreads: Map<string, number>;
  /** Datagrams the kernel dropped (receive buffer full) on the relay's and the generator's UDP ports. */
  udpDrops: { relay: number; generator: number };
}

/** The platform's background before any stream. */
export interface Idle {
  cpuPct: number;
  rss: number;
  load: number;
}

/** Rates derived from a phase. CPU per relayed Mbit/s counts the TS payload leaving the relay (every viewer). */
export function figures(p: Phase) {
  const inMbps = (p.srt.sentBytes * 8) / p.windowS / 1e6;
  const outBytes = p.srt.receivedBytes + p.ws.receivedBytes;
  const outMbps = (outBytes * 8) / p.windowS / 1e6;
  const cpuPct = (100 * p.cpuS) / p.wallS;
  const inPps = p.srt.sentMessages / p.windowS;
  const outPps = outBytes / MSG_BYTES / p.windowS;
  const genPct = (100 * p.genCpuS) / p.wallS;
  return {
    inMbps,
    outMbps,
    cpuPct,
    genPct,
    cpuPerMbps: cpuPct / outMbps,
    usPerPacketSide: ((p.cpuS / p.wallS) * 1e6) / (inPps + outPps),
    boxPct: (cpuPct + genPct) / navigator.hardwareConcurrency,
  };
}

const ms = (v: number | null) => (v !== null && Number.isFinite(v) ? v.toFixed(2) : '-');
const pct = (v: number) => v.toFixed(1);
const list = (xs: number[]) => (xs.length ? xs.join('/') : '?');

function qualityRow(phase: string, kind: string, m: SrtMeasure | WsMeasure, subtracted: string, counters: string) {
  const d = m.delay;
  return {
    phase,
    viewers: kind,
    'TS sent': m.expected,
    'TS received': m.received,
    lost: m.expected - m.received,
    'added p50 ms': ms(d.p50),
    'added p99 ms': ms(d.p99),
    'added max ms': ms(d.max),
    'calm p50/p99 ms': `${ms(m.delayCalm.p50)}/${ms(m.delayCalm.p99)}`,
    'viewer means ms': `${ms(m.viewerMeanMs[0])}…${ms(m.viewerMeanMs[1])}`,
    'worst seconds': m.worstSeconds.map(([t, v]) => `${t}s:${Math.round(v)}`).join(' '),
    samples: d.n,
    subtracted,
    'libsrt counters': counters,
  };
}

function phaseTable(phases: Phase[], postgres: boolean): string {
  return table(
    phases.map((p) => {
      const f = figures(p);
      return {
        phase: p.label,
        'SRT/WSS viewers': `${p.srt.viewers}/${p.ws.viewers}`,
        'in Mbit/s': f.inMbps,
        'out Mbit/s': f.outMbps,
        'relay CPU %': f.cpuPct,
        ...(postgres ? { 'pg CPU %': (100 * p.pgCpuS) / p.wallS } : {}),
        'RSS MB': Math.round(p.rss / 1e6),
        'CPU % per out Mbit/s': f.cpuPerMbps.toFixed(3),
        'µs/packet/side': f.usPerPacketSide,
        'generator CPU %': f.genPct,
        'box used %': f.boxPct,
        'gen max send lag ms': p.srt.maxSendLagMs,
        'gen stalled s': p.srt.stalled.length,
        'UDP drops relay/gen': `${p.udpDrops.relay}/${p.udpDrops.generator}`,
        'load 1m start→end': `${p.load[0]}→${p.load[1]}`,
      };
    }),
  );
}

function qualityTable(phases: Phase[]): string {
  const rows: Record<string, string | number>[] = [];
  for (const p of phases) {
    const s = p.srt;
    rows.push(
      qualityRow(
        p.label,
        'SRT',
        s,
        `2 × SRT latency (${list(s.pubLatencyMs)} + ${list(s.viewLatencyMs)} ms)`,
        `rcvLoss ${s.srt.viewRcvLoss}, rcvDrop ${s.srt.viewRcvDrop}, pub retrans ${s.srt.pubRetrans}, sndDrop ${s.srt.pubSndDrop}`,
      ),
    );
    if (p.kind === 'mixed')
      rows.push(
        qualityRow(
          p.label,
          'WSS',
          p.ws,
          `1 × SRT latency (${list(s.pubLatencyMs)} ms)`,
          `closed ${p.ws.closed}${p.ws.closeReasons.length ? ` (${p.ws.closeReasons.join('; ')})` : ''}, misaligned ${p.ws.misaligned}`,
        ),
      );
  }
  return table(rows);
}

function threadTable(mixed: Phase | undefined, srtOnly: Phase | undefined): string {
  const names = new Set([...(mixed?.threads.keys() ?? []), ...(srtOnly?.threads.keys() ?? [])]);
  const share = (p: Phase | undefined, n: string) => (p ? (100 * (p.threads.get(n) ?? 0)) / p.wallS : 0);
  const first = mixed ? 'SRT + WSS CPU %' : 'SRT only CPU %';
  const rows: Record<string, string | number>[] = [];
  for (const n of names) {
    if (share(mixed, n) + share(srtOnly, n) < THREAD_MIN_PCT) continue;
    const row: Record<string, string | number> = { 'platform thread': n };
    if (mixed) row['SRT + WSS CPU %'] = share(mixed, n);
    if (srtOnly) row['SRT only CPU %'] = share(srtOnly, n);
    rows.push(row);
  }
  rows.sort((x, y) => Number(y[first]) - Number(x[first]));
  return table(rows);
}

function goals(phases: Phase[], streams: number): string[] {
  const mixed = phases.find((x) => x.kind === 'mixed');
  const srtOnly = phases.find((x) => x.kind === 'srt-only');
  const base = phases.find((x) => x.kind === 'baseline');
  const out: string[] = [];
  const yes = (ok: boolean) => (ok ? 'met' : 'MISSED');
  if (mixed) {
    const lost = mixed.srt.expected - mixed.srt.received + (mixed.ws.expected - mixed.ws.received);
    const parts = [
      `no loss: ${yes(lost === 0 && mixed.srt.broken === 0 && mixed.ws.closed === 0)} (${lost} TS packets lost, ${mixed.srt.broken} SRT sockets broke, ${mixed.ws.closed} WSS viewers closed)`,
      `added p99 < ${GOAL_P99_MS} ms: SRT ${yes(mixed.srt.delay.p99 < GOAL_P99_MS)} (${ms(mixed.srt.delay.p99)}; calm ${ms(mixed.srt.delayCalm.p99)}), ` +
        `WSS ${yes(mixed.ws.delay.p99 < GOAL_P99_MS)} (${ms(mixed.ws.delay.p99)}; calm ${ms(mixed.ws.delayCalm.p99)})`,
    ];
    if (srtOnly && base) {
      const r = figures(srtOnly).cpuPerMbps / figures(base).cpuPerMbps;
      parts.push(`CPU per Mbit/s ≤ ${GOAL_CPU_RATIO}x srt-live-transmit: ${yes(r <= GOAL_CPU_RATIO)} (${r.toFixed(2)}x, SRT viewers only)`);
    }
    out.push(`goals at S=${streams}: ${parts.join('; ')}`);
  }
  const busy = phases.filter((x) => figures(x).boxPct > SATURATED_SHARE * 100);
  if (busy.length)
    out.push(
      `! relay + generator used more than ${SATURATED_SHARE * 100} % of the machine in: ${busy.map((x) => x.label).join(', ')}: ` +
        `those figures measure CPU starvation (and other users' load), not the relay alone`,
    );
  return out;
}

/** Print everything after the run. */
export function printReport(phases: Phase[], idle: Idle | null, o: { streams: number; postgres: boolean }): void {
  console.log('');
  if (idle)
    console.log(
      `platform idle (${o.streams} PUs logged in, keepalive every 5 s, no stream): CPU ${pct(idle.cpuPct)} % of a core, RSS ${Math.round(idle.rss / 1e6)} MB (load ${idle.load})`,
    );
  console.log(phaseTable(phases, o.postgres));
  console.log('');
  console.log(qualityTable(phases));
  for (const p of phases) {
    if (p.srt.crossTalk || p.ws.crossTalk) console.log(`! ${p.label}: ${p.srt.crossTalk + p.ws.crossTalk} probes arrived on another stream's viewer`);
    if (p.srt.broken) console.log(`! ${p.label}: ${p.srt.broken} SRT sockets broke during the run`);
    if (p.srt.refused) console.log(`! ${p.label}: libsrt refused ${p.srt.refused} messages (send buffer full)`);
    if (p.srt.delay.n === 0) console.log(`! ${p.label}: no SRT delay samples`);
  }
  const mixed = phases.find((p) => p.kind === 'mixed');
  const srtOnly = phases.find((p) => p.kind === 'srt-only');
  const baseline = phases.find((p) => p.kind === 'baseline');
  console.log(
    '\nCPU per relayed Mbit/s = relay CPU (% of one core) / Mbit/s of TS payload leaving the relay (SRT and WSS viewers); ' +
      'µs/packet/side = relay CPU time / (1316-byte messages in + out).',
  );
  if (baseline) {
    const bf = figures(baseline);
    if (srtOnly)
      console.log(
        `platform / srt-live-transmit, SRT viewers only (same topology): ${(figures(srtOnly).cpuPerMbps / bf.cpuPerMbps).toFixed(2)}x CPU per relayed Mbit/s (goal ≤ ${GOAL_CPU_RATIO}x)`,
      );
    if (mixed)
      console.log(
        `platform with SRT + WSS viewers / srt-live-transmit with SRT viewers: ${(figures(mixed).cpuPerMbps / bf.cpuPerMbps).toFixed(2)}x CPU per relayed Mbit/s`,
      );
  }
  if (mixed || srtOnly) console.log(`\n${threadTable(mixed, srtOnly)}`);
  const g = phases[0];
  if (g) {
    const top = [...g.genThreads]
      .filter(([, v]) => (100 * v) / g.wallS >= 1)
      .sort((x, y) => y[1] - x[1])
      .map(([k, v]) => `${k} ${pct((100 * v) / g.wallS)} %`);
    console.log(`generator threads (${g.label}): ${top.join(', ')}`);
  }
  console.log(
    `probes: one TS packet on PID 0x${PROBE_PID.toString(16)} every ${PROBE_EVERY_MESSAGES} messages carrying the send time; samples of a viewer's first ${JOIN_SETTLE_MS / 1000} s and probes sent before the window are ignored; ` +
      "loss = TS packets sent between a viewer's first and last probe of the window minus those it received.",
  );
  console.log(
    'added latency = receive time − send time − the negotiated SRT latency of each SRT hop (SRT viewers: publisher → relay and relay → viewer; WSS viewers: publisher → relay only). ' +
      "It includes what libsrt adds per hop beyond its latency (about half the RTT of the connection's first ACK, fixed for its life: a connection set up while the machine is busy keeps a larger offset; " +
      '"viewer means" shows the spread) and the generator\'s own stalls ("gen max send lag"). ' +
      `"calm" leaves out the seconds in which the generator sent more than ${GENERATOR_STALL_MS} ms late, and the second after each ("gen stalled s"): the machine, not the relay, was starved then.`,
  );
  for (const line of goals(phases, o.streams)) console.log(line);
  console.log(
    `caveat: the relay, the load generator (${o.streams} publishers, ${o.streams} SRT + ${o.streams} WSS viewers, AES on every leg) and other users' work share ` +
      `${navigator.hardwareConcurrency} cores: CPU figures are noisy; compare phases of one run.`,
  );
}
