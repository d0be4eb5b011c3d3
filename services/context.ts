/** What every service and route of one running platform shares. */
import type { Config } from '../lib/config.ts';
import type { Db } from '../db/client.ts';
import type { ActorHost } from '../actors/host/host.ts';
import type { Logger } from '../lib/log.ts';
import type { LogLimiter } from '../lib/log-limit.ts';
import type { Metrics } from '../lib/metrics.ts';
import type { VdConnections } from './vd/vd-connections.ts';
import type { DeviceAuth } from './devices/device-auth.ts';
import type { RpcService } from './devices/rpc.ts';
import type { Uploads } from './uploads/uploads.ts';
import type { BindCodes } from './devices/bind.ts';
import type { Sessions } from './users/sessions.ts';
import type { LiveService } from './live/live.ts';
import type { RecordingService } from './recording/recording.ts';
import type { EventFeed } from './console/event-feed.ts';
import type { Devices } from './devices/devices.ts';
import type { Health } from './health.ts';

/** The running platform's shared parts. */
export interface Platform {
  cfg: Config;
  db: Db;
  host: ActorHost;
  log: Logger;
  /** The log for lines outsiders can cause (a device's bad frames, refused logins): one summary per repeated line. */
  rateLog: LogLimiter;
  metrics: Metrics;
  adminToken: string;
  /** Public base URL, e.g. `https://127.0.0.1:8443`. */
  baseUrl: string;
  /** The platform key ($DATA_DIR/secret-key). */
  key: Buffer;
  vd: VdConnections;
  auth: DeviceAuth;
  rpc: RpcService;
  uploads: Uploads;
  bind: BindCodes;
  sessions: Sessions;
  /** Live media: the MDU, streams and viewers (services/live/live.ts). */
  live: LiveService;
  /** Record sessions, Vr, segment storage and playback (services/recording/recording.ts). */
  recording: RecordingService;
  /** The consoles' live feed (`GET /api/events`). */
  feed: EventFeed;
  devices: Devices;
  health(): Promise<Health>;
}
