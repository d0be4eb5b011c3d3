/**
 * A Vd client that writes several WebSocket frames in one TLS write, so the platform reads them in one go: what a
 * camera sending a burst over a slow link looks like to the server, and the only way to be sure a second request is
 * read while the first one's handler still runs. Speaks RFC 6455 by hand (client frames masked, text only).
 */
import { connect, type TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';

/** RFC 6455 5.2: FIN + text opcode. */
const FIN_TEXT = 0x81;
/** RFC 6455 5.2: the mask bit of the second byte. */
const MASKED = 0x80;
/** RFC 6455 5.2: payload lengths up to this fit in 7 bits; up to 0xffff take a 16-bit extension (code 126). */
const LEN_7_MAX = 125;
const LEN_16 = 126;
const LEN_16_MAX = 0xffff;
/** RFC 6455 5.2: opcode of a close frame. */
const OP_CLOSE = 0x8;

/** A masked client text frame. */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length > LEN_16_MAX) throw new Error('frame too large for this helper');
  const head =
    payload.length <= LEN_7_MAX
      ? Buffer.from([FIN_TEXT, MASKED | payload.length])
      : Buffer.from([FIN_TEXT, MASKED | LEN_16, payload.length >> 8, payload.length & 0xff]);
  const mask = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, body]);
}

/** A logged-in Vd connection that sends bursts and collects the platform's text frames. */
export class BurstDevice {
  readonly texts: string[] = [];
  closeCode?: number;
  private buf = Buffer.alloc(0);

  private constructor(private socket: TLSSocket) {}

  /** Log in over Vd (upgrade by hand); resolves once the platform answered 101. */
  static connect(baseUrl: string, query: Record<string, string>): Promise<BurstDevice> {
    const url = new URL(`/Vd?${new URLSearchParams(query)}`, baseUrl);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), rejectUnauthorized: false }, () => {
        socket.write(
          `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      const d = new BurstDevice(socket);
      let upgraded = false;
      socket.on('data', (chunk: Buffer) => {
        d.buf = Buffer.concat([d.buf, chunk]);
        if (!upgraded) {
          const end = d.buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = d.buf.subarray(0, end).toString();
          d.buf = d.buf.subarray(end + 4);
          if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`vd login refused: ${head.split('\r\n')[0]}`));
          upgraded = true;
          resolve(d);
        }
        d.parse();
      });
      socket.on('error', reject);
    });
  }

  /** Write every text as its own frame, all in one write. */
  burst(texts: string[]): void {
    this.socket.write(Buffer.concat(texts.map(frame)));
  }

  /** Close the TCP connection. */
  close(): void {
    this.socket.destroy();
  }

  /** Server frames are unmasked (RFC 6455 5.1). */
  private parse(): void {
    for (;;) {
      if (this.buf.length < 2) return;
      const op = this.buf[0]! & 0x0f;
      let len = this.buf[1]! & 0x7f;
      let at = 2;
      if (len === LEN_16) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len > LEN_16) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        at = 10;
      }
      if (this.buf.length < at + len) return;
      const payload = this.buf.subarray(at, at + len);
      this.buf = this.buf.subarray(at + len);
      if (op === OP_CLOSE) this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 0;
      else this.texts.push(payload.toString());
    }
  }
}
