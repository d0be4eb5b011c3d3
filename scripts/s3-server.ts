/**
 * A throw-away S3 server for tests and CI: one Ceph monitor, one OSD on memstore (objects in RAM)
 * and one RADOS Gateway (beast on 127.0.0.1), in a temporary directory with its own ceph.conf,
 * from the Debian packages scripts/setup.sh installs (radosgw, ceph-mon, ceph-osd, ceph-common).
 * Readiness is waited for with TCP probes and the daemons' log lines, never by polling the `ceph`
 * CLI (each call costs 0.3–1 s on a busy box). Then an S3 user with generated keys and a bucket.
 * Everything is stopped by pid. Pitfalls and their fixes: docs/recording.md, "Storage".
 *
 *   bun scripts/s3-server.ts            # prints the S3_* settings, runs until Ctrl-C
 *
 * @example const s3 = await startS3Server(); …; await s3.stop();
 */
import { type Subprocess, spawn } from 'bun';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presignUrl } from '../media/cs/sigv4.ts';
import { S3_XMLNS } from '../media/cs/s3-delete.ts';

/** A running store and how to reach it. */
export interface S3Server {
  endpoint: string;
  region: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  /** The temporary directory (ceph.conf, logs, data). */
  dir: string;
  /** The S3_* environment a platform uses to store in it (CS_BACKEND=s3, path style). */
  env: Record<string, string>;
  /** Stop the daemons (by pid) and remove the directory. */
  stop(): Promise<void>;
  /** Stop only the gateway (the store is down: connections refused), by pid; the cluster and its objects stay. */
  stopGateway(): Promise<void>;
  /** Start the gateway again on the same port; resolves once it accepts connections. */
  startGateway(): Promise<void>;
}

/** Options of {@link startS3Server}. */
export interface S3ServerOptions {
  bucket?: string;
  /** RAM the OSD may hold, bytes. */
  memstoreBytes?: number;
  /** Give up when not ready after this long. */
  readyTimeoutMs?: number;
  /** Keep the directory after stop (to read the logs). */
  keepDir?: boolean;
}

/** 512 MiB of objects in RAM: hundreds of test segments. */
export const MEMSTORE_BYTES_DEFAULT = 512 * 1024 * 1024;
/** Cold start measured at 2.6–3.4 s on 2 cores; a loaded box takes longer. */
export const S3_READY_TIMEOUT_MS_DEFAULT = 60_000;
/** Starts of a stopped gateway tried before giving up, and the pause between two (the port's release). */
const GATEWAY_START_ATTEMPTS = 5;
const GATEWAY_RESTART_PAUSE_MS = 1_000;
/** Region the gateway answers for (RGW accepts any region in a signature; clients need one). */
export const S3_REGION_DEFAULT = 'us-east-1';
/** Pause between readiness probes. */
const PROBE_MS = 50;
/** How long a daemon gets after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 3_000;
/** The OSD's log line once it serves placement groups. */
const OSD_ACTIVE = 'state: booting -> active';
/** Bytes of the generated access key and secret key. */
const ACCESS_KEY_BYTES = 10;
const SECRET_KEY_BYTES = 30;

/** A free TCP port on 127.0.0.1 (asked of the kernel). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether something accepts connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, deadline: number, logs: string): Promise<void> {
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`s3-server: ${what} not ready in time (logs in ${logs})`);
    await Bun.sleep(PROBE_MS);
  }
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** ceph.conf of a one-node cluster (the settings each fix a pitfall: docs/recording.md). */
function cephConf(dir: string, fsid: string, monPort: number, rgwPort: number, memstoreBytes: number): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
paxos propose interval = 0.05
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd crush chooseleaf type = 0
mon warn on pool no redundancy = false
mon data avail warn = 5
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
pid file = ${dir}/run/$name.pid
log file = ${dir}/log/$name.log
keyring = ${dir}/keyring
[mon.a]
mon data = ${dir}/mon
[osd.0]
osd data = ${dir}/osd
osd objectstore = memstore
memstore device bytes = ${memstoreBytes}
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1
rgw data = ${dir}/rgw
debug rgw = 0/0
`;
}

/** Run a one-shot tool to its end; throws with its output when it fails. */
async function run(cmd: string[]): Promise<string> {
  const p = spawn(cmd, { stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`s3-server: ${cmd.join(' ')} exited ${code}: ${err || out}`);
  return out;
}

/** Start a store and make its user and bucket; resolves once a PUT can succeed. */
export async function startS3Server(opts: S3ServerOptions = {}): Promise<S3Server> {
  const { bucket = 'h627-test', memstoreBytes = MEMSTORE_BYTES_DEFAULT, readyTimeoutMs = S3_READY_TIMEOUT_MS_DEFAULT } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'h627-s3-'));
  for (const d of ['run', 'log', 'mon', 'osd', 'rgw']) mkdirSync(join(dir, d));
  const conf = join(dir, 'ceph.conf');
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const fsid = randomUUID();
  writeFileSync(conf, cephConf(dir, fsid, monPort, rgwPort, memstoreBytes));
  const c = ['-c', conf];
  const daemons: Subprocess[] = [];
  const deadline = Date.now() + readyTimeoutMs;
  const logs = join(dir, 'log');
  const stop = async () => {
    for (const p of daemons.reverse()) p.kill('SIGTERM');
    await Promise.all(daemons.map((p) => Promise.race([p.exited, Bun.sleep(STOP_GRACE_MS).then(() => p.kill('SIGKILL'))])));
    if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
  };
  const daemon = (cmd: string[]) => {
    const p = spawn(cmd, { stdout: 'ignore', stderr: Bun.file(join(logs, `${cmd[0]!.split('/').pop()}.stderr`)) });
    daemons.push(p);
    return p;
  };
  try {
    await run(['monmaptool', '--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, join(dir, 'monmap')]);
    await run(['ceph-mon', ...c, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap')]);
    daemon(['ceph-mon', ...c, '-f', '-i', 'a']);
    await waitFor('ceph-mon', () => accepts(monPort), deadline, logs);
    const osdUuid = randomUUID();
    const id = (await run(['ceph', ...c, 'osd', 'new', osdUuid])).trim();
    if (id !== '0') throw new Error(`s3-server: the OSD got id ${id}, not 0`);
    await run(['ceph-osd', ...c, '-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    daemon(['ceph-osd', ...c, '-f', '-i', '0']);
    await waitFor('ceph-osd', () => readOr(join(logs, 'osd.0.log')).includes(OSD_ACTIVE), deadline, logs);
    const accessKey = randomBytes(ACCESS_KEY_BYTES).toString('hex').toUpperCase();
    const secretKey = randomBytes(SECRET_KEY_BYTES).toString('base64url');
    // Creates the default realm, zone and pools too (before radosgw, which would otherwise race it).
    await run(['radosgw-admin', ...c, 'user', 'create', '--uid=h627', '--display-name=h627 tests', `--access-key=${accessKey}`, `--secret-key=${secretKey}`]);
    const gatewayCmd = ['radosgw', ...c, '-f', '-n', 'client.rgw.a'];
    let gateway = daemon(gatewayCmd);
    await waitFor('radosgw', () => accepts(rgwPort), deadline, logs);
    const stopGateway = async () => {
      gateway.kill('SIGTERM');
      await Promise.race([gateway.exited, Bun.sleep(STOP_GRACE_MS).then(() => gateway.kill('SIGKILL'))]);
      await gateway.exited;
      daemons.splice(daemons.indexOf(gateway), 1);
    };
    // A gateway started again may exit at once (its port or its registration still held by the one just stopped):
    // it is started again, a few times, within the same deadline.
    const startGateway = async () => {
      const until = Date.now() + readyTimeoutMs;
      for (let attempt = 1; ; attempt++) {
        const g = daemon(gatewayCmd);
        gateway = g;
        let exited = false;
        void g.exited.then(() => {
          exited = true;
        });
        await waitFor('radosgw', async () => exited || (await accepts(rgwPort)), until, logs);
        if (!exited) return;
        daemons.splice(daemons.indexOf(g), 1);
        if (attempt >= GATEWAY_START_ATTEMPTS) throw new Error(`s3-server: radosgw exited at each of ${attempt} starts (logs in ${logs})`);
        await Bun.sleep(GATEWAY_RESTART_PAUSE_MS);
      }
    };
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    // Bun's S3Client has no CreateBucket: a presigned PUT of the bucket itself.
    const made = await fetch(
      presignUrl({ accessKey, secretKey, region: S3_REGION_DEFAULT }, { method: 'PUT', bucketUrl: `${endpoint}/${bucket}`, key: '', expiresInS: 60 }),
      {
        method: 'PUT',
      },
    );
    if (made.status !== 200) throw new Error(`s3-server: creating bucket ${bucket}: ${made.status} ${await made.text()}`);
    // Versioning on, as docs/recording.md asks of a production bucket: a confirmation pins its object's version.
    const versioning = `<VersioningConfiguration xmlns="${S3_XMLNS}"><Status>Enabled</Status></VersioningConfiguration>`;
    const md5 = createHash('md5').update(versioning).digest('base64');
    const versioned = await fetch(
      presignUrl(
        { accessKey, secretKey, region: S3_REGION_DEFAULT },
        { method: 'PUT', bucketUrl: `${endpoint}/${bucket}`, key: '', expiresInS: 60, query: [['versioning', '']], headers: [['content-md5', md5]] },
      ),
      { method: 'PUT', body: versioning, headers: { 'content-md5': md5 } },
    );
    if (versioned.status !== 200) throw new Error(`s3-server: versioning bucket ${bucket}: ${versioned.status} ${await versioned.text()}`);
    const env = {
      CS_BACKEND: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: S3_REGION_DEFAULT,
      S3_ACCESS_KEY: accessKey,
      S3_SECRET_KEY: secretKey,
      S3_PATH_STYLE: '1',
    };
    return { endpoint, region: S3_REGION_DEFAULT, bucket, accessKey, secretKey, dir, env, stop, stopGateway, startGateway };
  } catch (err) {
    await stop();
    throw err;
  }
}

if (import.meta.main) {
  const s3 = await startS3Server({ keepDir: process.argv.includes('--keep') });
  for (const [k, v] of Object.entries(s3.env)) console.log(`${k}=${v}`);
  console.error(`s3-server: ready in ${s3.dir}; Ctrl-C stops it`);
  const quit = () => void s3.stop().then(() => process.exit(0));
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
}
