/**
 * An in-memory stand-in for the WebSocket the device opens (no server): the test opens it, plays
 * the platform's frames into it and reads what the device sent. Built on EventTarget like the
 * real one.
 */
import { SimulatedDevice, type SimulatedDeviceOptions } from '../../device/simulated-device.ts';
import type { FetchLike } from '../../device/http.ts';
import { vsAnswer } from './machine-harness.ts';

/** One socket the device opened. */
export class FakeSocket extends EventTarget {
  readonly sent: Record<string, any>[] = [];
  closedWith: { code: number; reason: string } | undefined;
  constructor(readonly url: string) {
    super();
  }
  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }
  /** False: the close event waits for `closeHandshakeDone()` (a slow network). */
  closeEventAtOnce = true;
  close(code = 1000, reason = ''): void {
    if (this.closedWith) return;
    this.closedWith = { code, reason };
    if (this.closeEventAtOnce) queueMicrotask(() => this.closeHandshakeDone());
  }
  /** The close handshake finished: the close event fires. */
  closeHandshakeDone(): void {
    const { code, reason } = this.closedWith ?? { code: 1000, reason: '' };
    this.dispatchEvent(new CloseEvent('close', { code, reason }));
  }
  /** The upgrade succeeded. */
  open(): void {
    this.dispatchEvent(new Event('open'));
  }
  /** A frame from the platform. */
  deliver(frame: object): void {
    this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(frame) }));
  }
  /** The upgrade failed the way Bun reports it. */
  refuse(message: string): void {
    this.dispatchEvent(new ErrorEvent('error', { message }));
    this.dispatchEvent(new CloseEvent('close', { code: 1006, reason: '' }));
  }
  /** The connection dropped. */
  drop(code = 1006): void {
    this.closedWith = { code, reason: '' };
    this.dispatchEvent(new CloseEvent('close', { code, reason: '' }));
  }
  /** The login query. */
  get query(): URLSearchParams {
    return new URL(this.url).searchParams;
  }
  /** The last frame sent of a request name. */
  lastRequest(name: string): Record<string, any> | undefined {
    return this.sent.filter((f) => f.req === name).at(-1);
  }
}

/** A SimulatedDevice whose Vs answers come from `vs` (no server) and whose sockets are FakeSockets. */
export function deviceRig(options: Partial<SimulatedDeviceOptions> = {}) {
  const sockets: FakeSocket[] = [];
  const vsRequests: { url: string; headers: Headers }[] = [];
  const extraHttp: { url: string; init?: RequestInit }[] = [];
  const rig = {
    sockets,
    vsRequests,
    extraHttp,
    /** What the Vd endpoint answers to a keyless handshake probe (Retry-After). */
    probeAnswer: () => new Response(null, { status: 429, headers: { 'Retry-After': '45' } }),
    socket: () => sockets.at(-1)!,
    device: undefined as unknown as SimulatedDevice,
  };
  const fetchImpl: FetchLike = async (url, init) => {
    const u = new URL(String(url));
    if (u.pathname === '/Vs/getServerAddr') {
      vsRequests.push({ url: u.toString(), headers: new Headers(init?.headers) });
      return Response.json(vsAnswer(Date.now(), 'vd.test', 8443));
    }
    extraHttp.push({ url: u.toString(), ...(init ? { init } : {}) });
    return u.pathname === '/Vd' ? rig.probeAnswer() : new Response(new Uint8Array(1024)); // a firmware image, an upload
  };
  rig.device = new SimulatedDevice({
    server: 'https://vs.test:8443',
    id: 'cam-1',
    password: 'secret-pw',
    mac: 'a0b1c2d3e4f5',
    random: () => 0,
    jpeg: async () => new Uint8Array([0xff, 0xd8, 0, 0, 0xff, 0xd9]),
    fetch: fetchImpl,
    openSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket as unknown as WebSocket;
    },
    ...options,
  });
  return rig;
}

/** Let promises and queued microtasks run. */
export const settle = async () => {
  for (let i = 0; i < 3; i++) await Bun.sleep(0);
};
