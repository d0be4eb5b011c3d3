/**
 * `bun run device …`: run one simulated device, or `--count N` of them in this process for load.
 * Each state change is one JSON line on stdout. SIGINT/SIGTERM stop every device.
 * @module
 */
import { readFileSync } from 'node:fs';
import { overlayJpeg } from './jpeg-overlay.ts';
import { deviceIdentity, HelpRequested, parseCliArgs, USAGE, type CliArgs } from './cli-args.ts';
import type { DeviceTls } from './http.ts';
import { jsonLineLogger } from './logger.ts';
import { SimulatedDevice } from './simulated-device.ts';
import { ffmpegLive } from './live.ts';
import { Recorder } from './recorder.ts';
import { SdCard } from './sd-card.ts';
import { readCommands, runAtStart } from './cli-commands.ts';

/** Start the devices a command line asks for; returns them. */
export async function runDevices(args: CliArgs): Promise<SimulatedDevice[]> {
  const tls: DeviceTls | undefined = args.ca !== undefined ? { ca: readFileSync(args.ca, 'utf8') } : args.insecure ? { rejectUnauthorized: false } : undefined;
  const logger = jsonLineLogger();
  const devices = Array.from({ length: args.count }, (_, i) => {
    const { id, mac } = deviceIdentity(args.id, args.mac, i, args.count);
    return new SimulatedDevice({
      server: args.server,
      id,
      password: args.password,
      mac,
      channels: args.channels,
      ...(tls ? { tls } : {}),
      ...(args.hardwareModel ? { hardwareModel: args.hardwareModel } : {}),
      ...(args.firmwareModel ? { firmwareModel: args.firmwareModel } : {}),
      signedLogin: args.signedLogin,
      ...(args.hbOverrideS ? { hbOverrideS: args.hbOverrideS } : {}),
      ...(args.capabilities ? { capabilities: args.capabilities } : {}),
      ...(args.picture ? { jpeg: overlayJpeg(args.picture) } : {}),
      // A real camera: FFmpeg pushes live on PushLive and records segments over Vr on StartRecord; --sd-card: PlayVideo
      // plays the card's recordings, FFmpeg-rendered, over SRT.
      media: {
        ...ffmpegLive(args.picture ? { picture: args.picture } : {}),
        ...new Recorder({ ...(tls ? { tls } : {}), https: args.capabilities?.https !== false }).hooks,
        ...(args.sdCard ? { sdCard: new SdCard() } : {}),
      },
      logger,
      // --battery: a battery camera (GetCap `battery`) that sleeps when idle and wakes on TOWAKEUP.
      ...(args.battery ? { capabilities: { ...args.capabilities, battery: true }, sleep: { idleMs: args.sleepAfterS * 1000 } } : {}),
    });
  });
  await Promise.all(devices.map((device) => device.start()));
  return devices;
}

if (import.meta.main) {
  let args: CliArgs;
  try {
    args = parseCliArgs(Bun.argv.slice(2));
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(USAGE);
      process.exit(0);
    }
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
  const devices = await runDevices(args);
  const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
  // --bind and --alarm once online, then whatever is typed (bind CODE, alarm motion, status, help).
  void runAtStart(devices, args.atStart, say)
    .catch((err: unknown) => say({ error: err instanceof Error ? err.message : String(err) }))
    .then(() => readCommands(devices, console, say));
  const shutdown = async () => {
    await Promise.all(devices.map((device) => device.stop()));
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
