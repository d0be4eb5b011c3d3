/**
 * Relay benchmark (not part of `bun test`): N publishers at R bit/s through the MDU, one SRT viewer
 * each, against Debian's srt-live-transmit doing the same hop (one process per stream). Reports the
 * relay's CPU per relayed Mbit/s and per packet, and the latency it adds (end-to-end minus both SRT
 * latencies). The load generator runs in this process (a Worker); the relays run in child processes
 * so /proc/<pid>/stat measures them alone.
 *
 *   bun tests/media/relay.bench.ts --streams 50 --seconds 10 --target both
 */
import { parseArgs } from 'node:util'
import { readdirSync, readFileSync } from 'node:fs'
import type { Subprocess } from 'bun'
import * as srt from '../../media/srt/index.ts'
import { srtLib } from '../../media/srt/ffi.ts'
import { Mdu } from '../../media/mdu/index.ts'

declare const self: Worker

const PASS = 'bench-passphrase-0001'
/** SRT latency on every leg; subtracted twice from end-to-end delays. */
const LATENCY_MS = 120
/** Seconds of traffic before CPU and latency are measured (connections settle, TSBPD fills). */
const WARMUP_S = 3
const MSG = 1316
const CLK_TCK = 100

interface Target {
  pubPort: number
  pubSid: string
  viewPort: number
  viewSid: string
}
interface GenResult {
  sent: number
  received: number
  samples: number
  p50: number
  p99: number
  max: number
}

/** Generator worker: connect everyone, send paced timestamped TS, measure delays at the viewers. */
function generator(): void {
  self.onmessage = (e: MessageEvent<{ targets: Target[]; rateBps: number; seconds: number; encrypt: boolean }>) => {
    const { targets, rateBps, seconds, encrypt } = e.data
    srt.startup()
    let localPort = 0
    const open = (streamId: string, port: number) => {
      const s = srt.createSocket()
      srt.setFlag(s, 'streamId', streamId)
      srt.setFlag(s, 'latencyMs', LATENCY_MS)
      if (encrypt) srt.setFlag(s, 'passphrase', PASS)
      srt.bind(s, '127.0.0.1', localPort) // one UDP port, one libsrt multiplexer for all callers
      localPort ||= srt.localAddress(s)?.port ?? 0
      srt.connect(s, '127.0.0.1', port)
      srt.setNonBlocking(s)
      return s
    }
    const pubs = targets.map((t) => open(t.pubSid, t.pubPort))
    const eid = srt.epollCreate()
    const views = targets.map((t) => {
      const v = open(t.viewSid, t.viewPort)
      srt.epollAdd(eid, v, srt.SrtEpoll.IN | srt.SrtEpoll.ERR)
      return v
    })
    const lib = srtLib()
    const intervalMs = (MSG * 8 * 1000) / rateBps
    const t0 = performance.now()
    const next = pubs.map((_, i) => t0 + (intervalMs * i) / pubs.length)
    const cc = new Uint8Array(pubs.length)
    const msg = new Uint8Array(MSG)
    const view = new DataView(msg.buffer)
    const rx = new Uint8Array(1500)
    const rxView = new DataView(rx.buffer)
    const delays = new Float64Array(Math.ceil((pubs.length * seconds * 1000) / intervalMs) + 1000)
    const events = new Int32Array(512)
    let sent = 0
    let received = 0
    let samples = 0
    const end = t0 + (WARMUP_S + seconds) * 1000
    const loop = () => {
      const now = performance.now()
      for (let i = 0; i < pubs.length; i++) {
        while ((next[i] as number) <= now) {
          for (let k = 0; k < 7; k++) {
            const p = k * 188
            msg[p] = 0x47
            msg[p + 1] = 0x01
            msg[p + 2] = 0x00
            msg[p + 3] = 0x10 | ((cc[i] as number) & 0x0f)
            cc[i] = ((cc[i] as number) + 1) & 0x0f
          }
          view.setFloat64(4, performance.now(), true)
          lib.srt_sendmsg(pubs[i] as number, msg, MSG, -1, 0)
          sent++
          next[i] = (next[i] as number) + intervalMs
        }
      }
      const n = srt.epollWait(eid, events, 1)
      for (let j = 0; j < n; j++) {
        const sock = events[2 * j] as number
        for (;;) {
          const m = lib.srt_recvmsg(sock, rx, rx.length)
          if (m <= 0) break
          received++
          const d = performance.now() - rxView.getFloat64(4, true) - 2 * LATENCY_MS
          if (now > t0 + WARMUP_S * 1000 && samples < delays.length) delays[samples++] = d
        }
      }
      if (now < end) return setImmediate(loop)
      for (const s of [...pubs, ...views]) srt.close(s)
      srt.epollRelease(eid)
      srt.cleanup()
      const sorted = delays.subarray(0, samples).sort()
      const q = (f: number) => sorted[Math.min(samples - 1, Math.floor(f * samples))] ?? NaN
      self.postMessage({ sent, received, samples, p50: q(0.5), p99: q(0.99), max: q(1) } satisfies GenResult)
    }
    loop()
  }
}

/** CPU seconds (user + system) of a process so far. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(f[11]) + Number(f[12])) / CLK_TCK
}

/** CPU seconds per thread name prefix (`SRT:RcvQ`, `Worker`…) of a process. */
function cpuByThread(pid: number): Record<string, number> {
  const out: Record<string, number> = {}
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim().replace(/:w\d+$/, '')
      const f = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
      out[name] = (out[name] ?? 0) + (Number(f[11]) + Number(f[12])) / CLK_TCK
    } catch {
      // thread ended
    }
  }
  return out
}

async function serveMdu(streams: number, encrypt: boolean): Promise<void> {
  const mdu = await Mdu.start({ port: 0, host: '127.0.0.1', latencyMs: LATENCY_MS, log: () => {} })
  const passphrase = encrypt ? PASS : undefined
  for (let i = 0; i < streams; i++) {
    await mdu.allowPublisher({ streamId: `s${i}`, token: `p${i}`, passphrase })
    await mdu.allowViewer({ streamId: `s${i}`, token: `v${i}`, passphrase })
  }
  console.log(JSON.stringify({ port: mdu.port }))
  for await (const _ of console) break // until stdin closes
  await mdu.stop()
}

async function measure(label: string, pids: number[], targets: Target[], o: { rateBps: number; seconds: number; encrypt: boolean }) {
  const gen = new Worker(import.meta.url)
  const done = new Promise<GenResult>((r) => (gen.onmessage = (e) => r(e.data)))
  gen.postMessage({ targets, ...o })
  await Bun.sleep(WARMUP_S * 1000 + 500) // connects take a moment; start after warm-up
  const c0 = pids.reduce((a, p) => a + cpuSeconds(p), 0)
  const t0 = pids.length === 1 ? cpuByThread(pids[0] as number) : {}
  const g0 = process.cpuUsage()
  const w0 = performance.now()
  await Bun.sleep(o.seconds * 1000 - 1000)
  const cpu = pids.reduce((a, p) => a + cpuSeconds(p), 0) - c0
  const wall = (performance.now() - w0) / 1000
  const g = process.cpuUsage(g0)
  const t1 = pids.length === 1 ? cpuByThread(pids[0] as number) : {}
  const threads = Object.fromEntries(Object.entries(t1).map(([k, v]) => [k, +((100 * (v - (t0[k] ?? 0))) / wall).toFixed(1)]))
  const r = await done
  gen.terminate()
  const mbps = (targets.length * o.rateBps) / 1e6
  const pps = (targets.length * o.rateBps) / (MSG * 8)
  console.log(
    JSON.stringify({
      relay: label,
      streams: targets.length,
      relayedMbps: mbps,
      cpuPercent: +((100 * cpu) / wall).toFixed(1),
      cpuPercentPerMbps: +((100 * cpu) / wall / mbps).toFixed(2),
      usPerPacketPerSide: +((1e6 * cpu) / wall / (2 * pps)).toFixed(2),
      delivered: +(r.received / r.sent).toFixed(4),
      addedLatencyMs: { p50: +r.p50.toFixed(2), p99: +r.p99.toFixed(2), max: +r.max.toFixed(2) },
      generatorCpuPercent: +((100 * (g.user + g.system)) / 1e6 / wall).toFixed(1),
      ...(pids.length === 1 ? { threadCpuPercent: threads } : {}),
    }),
  )
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      streams: { type: 'string', default: '10' },
      seconds: { type: 'string', default: '10' },
      rate: { type: 'string', default: '2000000' },
      target: { type: 'string', default: 'both' },
      plain: { type: 'boolean', default: false },
      'serve-mdu': { type: 'string' },
    },
  })
  const encrypt = !values.plain
  if (values['serve-mdu']) return serveMdu(Number(values['serve-mdu']), encrypt)
  const streams = Number(values.streams)
  const o = { rateBps: Number(values.rate), seconds: Number(values.seconds), encrypt }
  if (values.target !== 'slt') {
    const child = Bun.spawn([process.execPath, import.meta.path, '--serve-mdu', String(streams), ...(encrypt ? [] : ['--plain'])], { stdin: 'pipe', stdout: 'pipe' })
    const reader = child.stdout.getReader()
    const { port } = JSON.parse(new TextDecoder().decode((await reader.read()).value)) as { port: number }
    const targets = Array.from({ length: streams }, (_, i) => ({
      pubPort: port,
      pubSid: `#!::r=s${i},m=publish,t=p${i}`,
      viewPort: port,
      viewSid: `#!::r=s${i},m=request,t=v${i}`,
    }))
    await measure('mdu', [child.pid], targets, o)
    child.stdin.end()
    await child.exited
  }
  if (values.target !== 'mdu') {
    const base = 20000 + Math.floor(Math.random() * 20000)
    const q = `latency=${LATENCY_MS}${encrypt ? `&passphrase=${PASS}` : ''}`
    const procs: Subprocess[] = []
    const targets: Target[] = []
    for (let i = 0; i < streams; i++) {
      const [pin, pout] = [base + 2 * i, base + 2 * i + 1]
      procs.push(Bun.spawn(['srt-live-transmit', '-q', `srt://127.0.0.1:${pin}?mode=listener&${q}`, `srt://127.0.0.1:${pout}?mode=listener&${q}`], { stdout: 'ignore', stderr: 'ignore' }))
      targets.push({ pubPort: pin, pubSid: '', viewPort: pout, viewSid: '' })
    }
    await Bun.sleep(500)
    await measure('srt-live-transmit', procs.map((p) => p.pid), targets, o)
    for (const p of procs) p.kill()
  }
}

if (Bun.isMainThread) await main()
else generator()
