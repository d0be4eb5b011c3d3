/**
 * Vs for the cheap load generator (bench/keepalive-load.ts): a simulated PU asks getServerAddr
 * (H.627.2 9.3.1.1, I.1) as device/vs-client.ts does, but from a loopback source address of its
 * own. Vs limits requests per client address (routes/vs.routes.ts VS_ADDRESS_BUDGET, 20/s): cameras
 * in the field come from many addresses, and 6,000 PUs failing over from one address would measure
 * that limit, not the failover. Linux routes all of 127.0.0.0/8 to the loopback interface, so any
 * of its addresses can be bound.
 */
import https from 'node:https';
import { vdAddressOf } from '../device/pu-client.rules.ts';
import { MAC_IDENTITY_HEADER, RPC_TIMEOUT_S, VS_PATH, VsGetServerAddrResp } from '../protocol/index.ts';
import { benchMac } from './lib.ts';

/** A Vs request unanswered for this long failed: a device's RPC timeout (NOTES "Message framing"). */
const VS_TIMEOUT_MS = RPC_TIMEOUT_S * 1_000;
/** Source addresses are 127.<64 + a>.<b>.<c>: clear of 127.0.0.x, which the servers and the bench use. */
const SOURCE_SECOND_OCTET = 64;
/** Usable values of the last two octets (1–254: no .0 or .255, which read as network and broadcast). */
const OCTET_VALUES = 254;

/** The loopback address the i-th PU sends its Vs requests from. */
export function sourceAddress(i: number): string {
  const c = 1 + (i % OCTET_VALUES);
  const b = 1 + (Math.floor(i / OCTET_VALUES) % OCTET_VALUES);
  const a = SOURCE_SECOND_OCTET + Math.floor(i / (OCTET_VALUES * OCTET_VALUES));
  return `127.${a}.${b}.${c}`;
}

/**
 * Ask the Vs of `server` (an https:// base) where PU `i` is to log in; resolves with the https://
 * base of that node, rejects when Vs fails or names no signalling port.
 */
export function askVs(server: string, i: number): Promise<string> {
  const mac = benchMac(i);
  const url = new URL(`${VS_PATH}?macid=${mac}`, server);
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      { headers: { [MAC_IDENTITY_HEADER]: mac }, rejectUnauthorized: false, localAddress: sourceAddress(i), timeout: VS_TIMEOUT_MS, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`Vs answered ${res.statusCode}: ${body.slice(0, 100)}`));
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            return reject(new Error(`Vs answered no JSON: ${body.slice(0, 100)}`));
          }
          const parsed = VsGetServerAddrResp.safeParse(json);
          const vd = parsed.success ? vdAddressOf(parsed.data) : null;
          if (vd?.scheme !== 'wss') return reject(new Error(`Vs named no WSS signalling port: ${body.slice(0, 100)}`));
          resolve(`https://${vd.host}:${vd.port}`);
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`Vs unanswered for ${VS_TIMEOUT_MS} ms`)));
    req.on('error', reject);
  });
}

/**
 * Ask Vs at one of `servers` (the addresses of one Vs name): tried in a random order, the next when one does not
 * answer, as an HTTP client does with a name of several addresses (or a load balancer that checks its nodes). A
 * device asking only the one address drawn, dead or not, would measure its DNS luck: a PU that drew the killed node
 * five times in a row sleeps through 9.3.1.3's growing backoffs for minutes.
 */
export async function askAnyVs(servers: string[], i: number): Promise<string> {
  const order = servers.map((s) => [Math.random(), s] as const).sort((x, y) => x[0] - y[0]);
  let last: unknown = new Error('no Vs server given');
  for (const [, server] of order) {
    try {
      return await askVs(server, i);
    } catch (err) {
      last = Object.assign(new Error(`${new URL(server).host}: ${(err as Error).message}`), { code: (err as { code?: unknown }).code });
      if (!isUnanswered(err)) break; // Vs answered, with a refusal: asking another would be asking again
    }
  }
  throw last;
}

/** Nobody answered at the address: refused, reset, timed out. */
function isUnanswered(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)$/.test(code) : /unanswered/.test(String(err));
}
