/**
 * The device's own log and its upload (LogUploadAsync, LogDone; H.627.2 I.2.29, I.2.30, NOTES 11):
 * answer at once, PUT the lines between `start` and `end` (zero bytes when there are none, OVC dap.md
 * 5.14), then send LogDone with the outcome.
 * @module
 */
import type { LogDoneParams, LogUploadAsyncParams } from '../protocol/index.ts';
import type { DeviceTime } from './clock.ts';
import { errorText, type DeviceHttp } from './http.ts';

/** Lines the device keeps; older ones roll off (OVC: "若指定范围的日志已经滚动删除…"). Simulator's choice. */
export const DEVICE_LOG_MAX_LINES = 2_000;

/** One line of the device log. */
export interface DeviceLogEntry {
  /** Device time, ms since the epoch. */
  at: number;
  text: string;
}

/** How LogDone reaches the platform (undefined when the device is offline). */
export type LogDoneSender = (params: LogDoneParams) => void;

/** The device log. */
export class DeviceLog {
  private readonly lines: DeviceLogEntry[] = [];

  constructor(
    private readonly time: DeviceTime,
    private readonly http: DeviceHttp,
    private readonly macId: string,
  ) {}

  /** Append a line stamped with the device time. */
  append(text: string): void {
    this.lines.push({ at: this.time.now(), text });
    if (this.lines.length > DEVICE_LOG_MAX_LINES) this.lines.splice(0, this.lines.length - DEVICE_LOG_MAX_LINES);
  }

  /** The lines kept, oldest first. */
  entries(): readonly DeviceLogEntry[] {
    return this.lines;
  }

  /**
   * LogUploadAsync: the answer does not wait for this; it PUTs the lines of [start, end] (device
   * local time) and calls `done` with LogDone's params. Resolves when LogDone was handed over.
   */
  async upload(params: LogUploadAsyncParams, done: LogDoneSender): Promise<LogDoneParams> {
    const from = this.time.parse(params.start);
    const to = this.time.parse(params.end);
    const chosen = this.lines.filter((line) => line.at >= from && line.at <= to);
    const body = new TextEncoder().encode(chosen.map((line) => `${this.time.format(line.at)} ${line.text}\n`).join(''));
    const first = chosen[0];
    const last = chosen.at(-1);
    const range =
      first === undefined || last === undefined
        ? { start: params.start, end: params.end }
        : { start: this.time.format(first.at), end: this.time.format(last.at) };
    let status: LogDoneParams['status'] = 'success';
    try {
      await this.http.put(params.url, body, 'text/plain; charset=utf-8');
    } catch (err) {
      status = 'fail';
      this.append(`log upload ${params.trans_id} failed: ${errorText(err)}`);
    }
    const result: LogDoneParams = {
      mac_id: this.macId,
      trans_id: params.trans_id,
      status,
      ...range,
      url: params.url,
      size: status === 'success' ? body.byteLength : 0,
    };
    done(result);
    return result;
  }
}
