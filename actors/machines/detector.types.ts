/** Types of the detector actor (one per device channel, docs/detection.md): input, context, events. Plain JSON. */

/** When a channel's detector runs: never, on the camera's motion alarms, or continuously at `fps` while armed. */
export type DetectMode = 'off' | 'alarm' | 'continuous';

/** A zone: a polygon on the picture, corners as fractions of its width and height (0..1). */
export interface DetectZone {
  name: string;
  points: [number, number][];
}

/** A channel's detection setting (the API's body, names as the machine uses them). */
export interface DetectConfig {
  mode: DetectMode;
  /** COCO class names and groups (person, vehicle, animal). */
  classes: string[];
  minScore: number;
  /** Empty: the whole picture. */
  zones: DetectZone[];
  /** Frames per second in continuous mode. */
  fps: number;
}

/** What a detector actor is created with. */
export interface DetectorInput {
  deviceId: string;
  channel: number;
}

/** The detector actor's context. */
/** Where a run's picture came from (issue 25 point 2): a frame of the channel's running live stream, or a Snapshot. */
export type PictureSource = 'live' | 'snapshot';

export interface DetectorContext extends DetectorInput {
  config: DetectConfig;
  setBy?: string;
  since: number;
  reason: string;
  /** Detection runs so far; a result is taken only from the latest. */
  attempt: number;
  /** The alarm the current run is for. */
  alarmId?: string;
  /** An alarm that came while detecting or cooling down: the next run is for it. */
  pendingAlarmId?: string;
  /** The last finished run: when, what it found, the event it recorded. */
  last?: { at: number; alarmId?: string; eventId?: string; classes: string[]; source?: PictureSource };
  failure?: { at: number; reason: string };
  /** Continuous mode: the classes present now (a presence started and has not ended), each with its event. */
  present?: Record<string, string>;
}

type At = { at?: number };

/** Events of the detector actor (dot-case; `at` is stamped by the host). */
export type DetectorEvent = At &
  (
    | { type: 'detect.configure'; config: DetectConfig; by?: string }
    /** A motion alarm of the channel (the pu tells it, pu.publish.ts). */
    | { type: 'alarm'; alarmId: string; alarmType: number }
    /** The `detect.run` effect's outcome. */
    | {
        type: 'detect.result';
        attempt: number;
        ok: true;
        eventId: string;
        classes: string[];
        /** The best score among them (0: nothing of interest); the event's picture was stored; the alarm it is for. */
        topScore?: number;
        picture?: boolean;
        alarmId?: string;
        /** Where the picture came from: the channel's running live stream, or a Snapshot the camera took. */
        source?: PictureSource;
      }
    | { type: 'detect.result'; attempt: number; ok: false; reason: string }
    /** The continuous frame feed stopped or could not start. */
    | { type: 'detect.feed.failed'; reason: string }
    /** Continuous mode: a presence of a class started or ended (its event row `eventId`). */
    | { type: 'detect.presence'; kind: 'start' | 'end'; class: string; eventId: string; score: number }
    /** The node restarted: a continuous detector's feed is gone and starts again (DetectionService.sweepStale). */
    | { type: 'platform.restarted' }
    /** The device was deprovisioned (the detection service tells each of its detectors). */
    | { type: 'device.deprovisioned' }
  );
