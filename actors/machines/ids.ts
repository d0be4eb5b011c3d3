/** Actor ids of the machines that address each other (one module, so the machines need not import each other). */

/** What a pu actor's id starts with. */
export const PU_ACTOR_PREFIX = 'pu:';

/** Actor id of a device's pu actor. */
export function puActorId(deviceId: string): string {
  return `${PU_ACTOR_PREFIX}${deviceId}`;
}

/** The device id of a pu actor id (the inverse of {@link puActorId}). */
export function deviceOfPu(actorId: string): string {
  return actorId.slice(PU_ACTOR_PREFIX.length);
}

/** What a stream's (and an SD playback's) actor id begins with. */
export const STREAM_ACTOR_PREFIX = 'stream:';
/** Actor id of a stream. */
export function streamActorId(streamId: string): string {
  return `${STREAM_ACTOR_PREFIX}${streamId}`;
}

/** The stream id of a stream actor id (the inverse of {@link streamActorId}). */
export function streamIdOf(actorId: string): string {
  return actorId.slice(STREAM_ACTOR_PREFIX.length);
}

/** Actor id of a cluster node (docs/cluster.md): one per NODE_ID, across its incarnations (epochs). */
export function nodeActorId(nodeId: string): string {
  return `node:${nodeId}`;
}

/** The node id of a node actor id (the inverse of {@link nodeActorId}). */
export function nodeIdOf(actorId: string): string {
  return actorId.slice('node:'.length);
}

/** Actor id of a device's mqtt actor (its MQTT publications, docs/mqtt.md). */
export function mqttActorId(deviceId: string): string {
  return `mqtt:${deviceId}`;
}

/** What a detector actor's id starts with (one per device channel, docs/detection.md). */
export const DETECTOR_ACTOR_PREFIX = 'detector:';
/** Actor id of a device channel's detector. */
export function detectorActorId(deviceId: string, channel: number): string {
  return `${DETECTOR_ACTOR_PREFIX}${deviceId}:${channel}`;
}
