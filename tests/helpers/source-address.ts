/**
 * HTTPS requests from a chosen source address (any 127.x.y.z on Linux), for tests of what the
 * platform does per address: Bun's fetch cannot choose the source, node:https can.
 */
import { request } from 'node:https';

/** An answer: status, headers, and the body parsed as JSON when it is JSON. */
export interface SourcedAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** POST a JSON body to `url` from `localAddress`. */
export function postJsonFrom(url: string, body: unknown, localAddress: string): Promise<SourcedAnswer> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        rejectUnauthorized: false,
        localAddress,
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(data)) },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON: keep the text */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
