/**
 * The base of every URL the platform hands a device to call back (upload URLs of Snapshot, LogUploadAsync and
 * AlarmNotify's picture; StartRecord's `cbk_url`; Vr create's segment URL). GetCap's `https` (NOTES 9; OVC dap.md
 * 5.13: "if not supported, every URL in the signalling is http") decides:
 * - `https` true, or capabilities unknown (not answered, refused): https, as the platform always did;
 * - `https` false: http, on the plain device listener (DEVICE_HTTP_PORT, boot/device-http.ts), which serves only
 *   those callback paths. When the operator has not opened it, https still (the only way in) and a warning says so:
 *   a device that cannot speak https is told where to upload either way, and the log names the setting to fix.
 */
import type { LogLimiter } from '../../lib/log-limit.ts';

/** What choosing a device's base URL reads. */
export interface DeviceUrlsDeps {
  /** The platform's public https base (known once the server listens). */
  httpsBase(): string;
  /** The plain device listener's base, when the operator opened one. */
  httpBase(): string | undefined;
  /** GetCap's answer as the device's pu actor keeps it (null or undefined: unknown). */
  capabilitiesOf(deviceId: string): Promise<{ https: boolean } | null | undefined>;
  rateLog: Pick<LogLimiter, 'warn'>;
}

/** Picks http or https per device. */
export class DeviceUrls {
  constructor(private p: DeviceUrlsDeps) {}

  /**
   * The base URL for a device's callbacks; `https` forces https (Vr create's `https=1`, NOTES 15).
   * @example await urls.base('CAM-1') // 'http://203.0.113.5:8080' for a camera without https
   */
  async base(deviceId: string, https = false): Promise<string> {
    if (https) return this.p.httpsBase();
    const caps = await this.p.capabilitiesOf(deviceId);
    if (caps?.https !== false) return this.p.httpsBase();
    const plain = this.p.httpBase();
    if (plain) return plain;
    this.p.rateLog.warn(deviceId, { device: deviceId }, 'device has no https (GetCap) but DEVICE_HTTP_PORT is not set: its callback URLs stay https');
    return this.p.httpsBase();
  }
}
