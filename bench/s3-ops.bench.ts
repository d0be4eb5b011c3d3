/**
 * `bun run bench s3-ops`: what the S3 backend's own operations cost the platform's process, in CPU, measured in one
 * process against its baselines:
 * - a presigned URL (media/cs/sigv4.ts, a Vr create's PUT URL), beside the two hashes SigV4 cannot do without
 *   (SHA-256 of the canonical request, HMAC-SHA256 of the string to sign) done alone;
 * - the HEAD that confirms a segment, three ways against a throw-away RADOS Gateway (scripts/s3-server.ts) or the
 *   `S3_*` environment's store: Bun's S3 client (what the platform uses), `fetch` of a presigned HEAD URL, and a
 *   minimal HTTP/1.1 HEAD on kept-alive `Bun.connect` sockets (the floor: no HTTP client thread, no parsing beyond
 *   the status line and Content-Length). Paced (a lone request's cost, as at a few hundred a second; the pacing's
 *   own cost measured apart) and 64 at a time; then Bun's client at the same paced rate with the HEADs started in
 *   bursts of 1-16, the client's and the store's CPU per HEAD.
 *
 * Options: --urls 200000 --rate 400 --seconds 5 --concurrency 64 --skip-store
 */
import { S3Client } from 'bun';
import { createHash, createHmac } from 'node:crypto';
import { presignUrl } from '../media/cs/sigv4.ts';
import { type S3Server, startS3Server } from '../scripts/s3-server.ts';
import { loadStorageConfig } from '../services/recording/storage-config.ts';
import { machineNote, parseArgs, selfCpuSeconds, storeCpuSeconds, table } from './lib.ts';

const args = parseArgs(process.argv.slice(2));
const URLS = Number(args.urls ?? 200_000);
const RATE = Number(args.rate ?? 400);
const SECONDS = Number(args.seconds ?? 5);
const CONCURRENCY = Number(args.concurrency ?? 64);
/** Objects HEADed in turn, and their size. */
const OBJECTS = 200;
const OBJECT_BYTES = 1000;
/** Sizes of the bursts the paced HEADs are also started in. */
const HEAD_BURSTS = [1, 2, 4, 8, 16];
/** Calls before each timed loop (the JIT's tiers). */
const WARM_CALLS = 20_000;
const WARM_SECONDS = 2;
const URL_TTL_S = 600;
const SEGMENT_BYTES = 262_144;
const HEADER_END = '\r\n\r\n';
/** RAM of the throw-away store: every PUT of the run stays there (about 1,000/s × 7 s × 256 KiB fit). */
const STORE_RAM_BYTES = 4 * 1024 * 1024 * 1024;

/** µs of CPU per call of `f`, `n` calls after WARM_CALLS. */
function perCall(f: () => unknown, n: number): number {
  for (let i = 0; i < WARM_CALLS; i++) f();
  const c0 = selfCpuSeconds();
  for (let i = 0; i < n; i++) f();
  return ((selfCpuSeconds() - c0) / n) * 1e6;
}

console.log(`bench s3-ops: ${URLS} URLs; HEADs paced at ${RATE}/s and ${CONCURRENCY} at a time, ${SECONDS} s each`);
console.log(machineNote());

const creds = { accessKey: 'AKIAIOSFODNN7EXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', region: 'us-east-1' };
const key = 'seg/BENCH-0001/0/rec_abcdefgh/1796534999_0001.ts';
const presign = () =>
  presignUrl(creds, { method: 'PUT', bucketUrl: 'http://127.0.0.1:7480/h627-rec', key, expiresInS: URL_TTL_S, contentLength: SEGMENT_BYTES });
const canonical = `PUT\n/h627-rec/${key}\n${new URL(presign()).search.slice(1)}\nhost:127.0.0.1:7480\n\nhost\nUNSIGNED-PAYLOAD`;
const signingKey = createHmac('sha256', 'k').update('d').digest();
const hashesOnly = () =>
  createHmac('sha256', signingKey)
    .update(`AWS4-HMAC-SHA256\n${createHash('sha256').update(canonical).digest('hex')}`)
    .digest('hex');
const urlUs = perCall(presign, URLS);
const hashUs = perCall(hashesOnly, URLS);
console.log("\npresigned URL (a Vr create's PUT URL), CPU per URL");
console.log(table([{ 'presignUrl µs': urlUs.toFixed(2), 'its two hashes alone µs': hashUs.toFixed(2), ratio: `${(urlUs / hashUs).toFixed(2)}x` }]));

if (args['skip-store'] !== 'true') {
  let server: S3Server | undefined;
  let env: Record<string, string | undefined> = process.env;
  if (!process.env.S3_ENDPOINT) {
    server = await startS3Server({ memstoreBytes: STORE_RAM_BYTES });
    env = server.env;
  }
  try {
    const cfg = loadStorageConfig({ ...env, CS_BACKEND: 's3' });
    if (cfg.backend !== 's3') throw new Error('unreachable');
    const client = new S3Client({ accessKeyId: cfg.accessKey, secretAccessKey: cfg.secretKey, region: cfg.region, bucket: cfg.bucket, endpoint: cfg.endpoint });
    const keys = Array.from({ length: OBJECTS }, (_, i) => `bench/s3-ops/${i}.ts`);
    for (const k of keys) await client.write(k, new Uint8Array(OBJECT_BYTES));
    const s3creds = { accessKey: cfg.accessKey, secretKey: cfg.secretKey, region: cfg.region };
    const bucketUrl = `${cfg.endpoint}/${cfg.bucket}`;
    const headUrl = (k: string) => presignUrl(s3creds, { method: 'HEAD', bucketUrl, key: k, expiresInS: URL_TTL_S });

    /** One kept-alive connection answering one HEAD at a time. */
    const idle: Array<(k: string) => Promise<number>> = [];
    const connect = async () => {
      const u = new URL(cfg.endpoint);
      let answer: ((size: number) => void) | undefined;
      let buf = '';
      const socket = await Bun.connect({
        hostname: u.hostname,
        port: Number(u.port),
        socket: {
          data(_s, d) {
            buf += d.toString('latin1');
            const end = buf.indexOf(HEADER_END);
            if (end < 0) return;
            const head = buf.slice(0, end);
            buf = buf.slice(end + HEADER_END.length);
            const m = /content-length: *(\d+)/i.exec(head);
            const done = answer;
            answer = undefined;
            done?.(m ? Number(m[1]) : -1);
          },
        },
      });
      return (k: string) => {
        const url = new URL(headUrl(k));
        return new Promise<number>((resolve) => {
          answer = resolve;
          socket.write(`HEAD ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
        });
      };
    };
    const rawHead = async (k: string) => {
      const head = idle.pop() ?? (await connect());
      try {
        return await head(k);
      } finally {
        idle.push(head);
      }
    };
    const ways: Array<[string, (k: string) => Promise<number>]> = [
      ['nothing (the pacing alone)', async () => OBJECT_BYTES],
      ["Bun's S3 client (stat)", async (k) => (await client.stat(k)).size],
      ['fetch of a presigned HEAD URL', async (k) => Number((await fetch(headUrl(k), { method: 'HEAD' })).headers.get('content-length'))],
      ['HEAD on kept-alive Bun.connect sockets', rawHead],
    ];
    const check = (size: number) => {
      if (size !== OBJECT_BYTES) throw new Error(`HEAD answered size ${size}, not ${OBJECT_BYTES}`);
    };
    /** CPU per HEAD at `RATE` a second (each started on schedule, open loop), `burst` started together; the store's too. */
    const pacedCpu = async (f: (k: string) => Promise<number>, seconds: number, burst = 1) => {
      const pending: Promise<void>[] = [];
      const t0 = performance.now();
      const c0 = selfCpuSeconds();
      const s0 = storeCpuSeconds();
      for (let i = 0; performance.now() - t0 < seconds * 1000; i++) {
        const wait = t0 + (i * 1000 * burst) / RATE - performance.now();
        if (wait > 0) await Bun.sleep(wait);
        for (let j = 0; j < burst; j++) pending.push(f(keys[(i * burst + j) % OBJECTS]!).then(check));
      }
      await Promise.all(pending);
      return { us: ((selfCpuSeconds() - c0) / pending.length) * 1e6, storeUs: ((storeCpuSeconds() - s0) / pending.length) * 1e6 };
    };
    const paced = async (f: (k: string) => Promise<number>, seconds: number) => (await pacedCpu(f, seconds)).us;
    /** CPU per operation (this process's, and the store's when it runs on this machine) and operations a second, CONCURRENCY at a time back to back. */
    const together = async (f: (k: string, i: number) => Promise<unknown>, seconds: number) => {
      let n = 0;
      const end = performance.now() + seconds * 1000;
      const c0 = selfCpuSeconds();
      const s0 = storeCpuSeconds();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, w) => {
          for (let i = w; performance.now() < end; i += CONCURRENCY) {
            await f(keys[i % OBJECTS]!, i);
            n++;
          }
        }),
      );
      return { us: ((selfCpuSeconds() - c0) / n) * 1e6, storeUs: ((storeCpuSeconds() - s0) / n) * 1e6, perS: n / seconds };
    };
    const rows: Array<Record<string, string | number>> = [];
    for (const [name, f] of ways) {
      await paced(f, WARM_SECONDS);
      const lone = await paced(f, SECONDS);
      const many = name.startsWith('nothing') ? undefined : await together(async (k) => check(await f(k)), SECONDS);
      rows.push({
        HEAD: name,
        [`µs at ${RATE}/s`]: Math.round(lone),
        [`µs ${CONCURRENCY} at a time`]: many ? Math.round(many.us) : '',
        'HEADs/s': many ? Math.round(many.perS) : '',
        [`the store's µs ${CONCURRENCY} at a time`]: many && server ? Math.round(many.storeUs) : '',
      });
    }
    console.log(`\nHEAD of a ${OBJECT_BYTES}-byte object, CPU of this process per HEAD (and of the store, when it runs here)`);
    console.log(table(rows));
    // The same rate, the HEADs started in bursts (as a confirmation lane that gathered them would): what a lone
    // request's wakes cost the client and the store, against the pacing's own cost at each burst size.
    const stat = async (k: string) => (await client.stat(k)).size;
    const burstRows: Array<Record<string, string | number>> = [];
    for (const burst of HEAD_BURSTS) {
      await pacedCpu(stat, WARM_SECONDS, burst);
      const r = await pacedCpu(stat, SECONDS, burst);
      const pacing = await pacedCpu(async () => OBJECT_BYTES, SECONDS, burst);
      burstRows.push({
        'HEADs started together': burst,
        'µs of this process': Math.round(r.us),
        'the pacing alone µs': Math.round(pacing.us),
        "the store's µs": server ? Math.round(r.storeUs) : '',
      });
    }
    console.log(`\nBun's S3 client (stat) at ${RATE}/s, in bursts: CPU per HEAD`);
    console.log(table(burstRows));
    // What a segment's PUT costs the store beside its HEAD: the part of an S3 cycle the store does, apart.
    const segment = new Uint8Array(SEGMENT_BYTES);
    // Each pass writes new keys: an overwrite also costs the store the old object's removal.
    const putsIn = (pass: string) => (_k: string, i: number) => client.write(`bench/s3-ops/put/${pass}/${i}.ts`, segment);
    await together(putsIn('warm'), WARM_SECONDS);
    const puts = await together(putsIn('measured'), SECONDS);
    console.log(`\nPUT of a ${SEGMENT_BYTES}-byte segment by Bun's S3 client, ${CONCURRENCY} at a time`);
    console.log(
      table([{ 'PUTs/s': Math.round(puts.perS), 'µs of this process': Math.round(puts.us), "the store's µs": server ? Math.round(puts.storeUs) : '' }]),
    );
  } finally {
    await server?.stop();
  }
}
console.log(machineNote());
process.exit(0);
