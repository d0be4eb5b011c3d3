/** The host's effect handlers, bound to the services of a platform (boot/start.ts). */
import type { Logger } from '../lib/log.ts';
import type { EffectHandlers } from '../actors/host/host.ts';
import { bindEffects, mergeEffects } from '../actors/host/effect-catalog.ts';
import { type PuEffectHandlers, puEffects } from '../actors/machines/pu.effects.ts';
import { streamEffects } from '../actors/machines/stream.effects.ts';
import { recordingEffects } from '../actors/machines/recording.effects.ts';
import { segmentEffects } from '../actors/machines/segment.effects.ts';
import { nodeEffects } from '../actors/machines/node.effects.ts';
import { sdPlayEffects } from '../actors/machines/sdplay.effects.ts';
import { type MqttEffectHandlers, mqttEffects } from '../actors/machines/mqtt.effects.ts';
import { detectorEffects } from '../actors/machines/detector.effects.ts';
import type { DetectionService } from '../services/detection/detections.ts';
import type { MqttPublisher } from '../services/mqtt/publisher.ts';
import { CLOSE_DROPPED, type VdConnections } from '../services/vd/vd-connections.ts';
import type { RpcService } from '../services/devices/rpc.ts';
import type { LiveService } from '../services/live/live.ts';
import type { SdPlayService } from '../services/live/sdplay.ts';
import { RecordingService } from '../services/recording/recording.ts';
import type { Drain } from '../services/cluster/drain.ts';
import { wakeDevice, type WakeDeps } from '../services/hibernation/wake.ts';

/**
 * The host's effect handlers: every machine's catalog bound to the services that run its effects
 * (each call's params checked against the catalog first).
 */
export function platformEffects(
  s: {
    rpc: RpcService;
    vd: VdConnections;
    live: LiveService;
    sdplay: SdPlayService;
    recording: RecordingService;
    drain: Pick<Drain, 'effects'>;
    wake?: WakeDeps;
    /** Unset (MQTT_URL unset): publications of mqtt actors made while it was set wait for a start with it. */
    mqtt?: Pick<MqttPublisher, 'effects'>;
    detection: Pick<DetectionService, 'effects'>;
  },
  log: Logger,
): EffectHandlers {
  const pu: PuEffectHandlers = {
    'vd.send': (call) => s.rpc.send(call),
    'vd.close': (call) => s.vd.close(call.context.deviceId, CLOSE_DROPPED, call.params.reason),
    'recording.alarm': (call) => s.recording.alarms.open(call),
    'hibernation.wake': (call) => (s.wake ? wakeDevice(s.wake, call.context.deviceId, call.params.node) : undefined),
  };
  const mqttOff: MqttEffectHandlers = { 'mqtt.publish': () => undefined, 'mqtt.dropped': () => undefined };
  return mergeEffects(
    bindEffects(puEffects, pu, log),
    bindEffects(streamEffects, s.live.effects(), log),
    bindEffects(sdPlayEffects, s.sdplay.effects(), log),
    bindEffects(recordingEffects, RecordingService.effects(s), log),
    bindEffects(segmentEffects, RecordingService.segmentEffects(s), log),
    bindEffects(nodeEffects, s.drain.effects(), log),
    bindEffects(mqttEffects, s.mqtt?.effects() ?? mqttOff, log),
    bindEffects(detectorEffects, s.detection.effects(), log),
  );
}

export { detectionServices } from './detection.ts';
