/** The configuration: lib/config.ts parses, boot/config.ts gives it the defaults owned by the layers above lib/. */
import { describe, expect, it } from 'bun:test';
import { ConfigError, DEFAULT_MQTT_DISCOVERY_PREFIX, DEFAULT_MQTT_TOPIC_PREFIX, parseConfig } from '../../lib/config.ts';
import { CONFIG_DEFAULTS, loadConfig } from '../../boot/config.ts';
import { HB_INTERVAL_DEFAULT_S } from '../../protocol/constants.ts';
import { DEFAULT_LINGER_MS } from '../../actors/machines/stream.machine.ts';
import { VD_MESSAGE_BUDGET_DEFAULT } from '../../services/vd/vd-budget.ts';
import { LISTENER_DORMANT_AFTER_MS } from '../../media/mdu/constants.ts';

describe('configuration defaults', () => {
  it("takes an unset variable's value from the layer that owns it", () => {
    const cfg = loadConfig({});
    expect(cfg.hbIntervalS).toBe(HB_INTERVAL_DEFAULT_S);
    expect(cfg.liveLingerMs).toBe(DEFAULT_LINGER_MS);
    expect(cfg.vdMessageBudget).toEqual(VD_MESSAGE_BUDGET_DEFAULT);
    expect(cfg.srtListenerDormantMs).toBe(LISTENER_DORMANT_AFTER_MS);
  });

  it('lets the environment override them', () => {
    const cfg = loadConfig({ HB_INTERVAL_S: '20', LIVE_LINGER_S: '5', VD_MESSAGES_PER_S: '3', VD_MESSAGE_BURST: '7', SRT_LISTENER_DORMANT_S: '0' });
    expect(cfg.hbIntervalS).toBe(20);
    expect(cfg.srtListenerDormantMs).toBe(0);
    expect(cfg.liveLingerMs).toBe(5000);
    expect(cfg.vdMessageBudget).toEqual({ ratePerS: 3, burst: 7 });
  });

  it('uses whatever defaults the caller gives lib/config.ts', () => {
    const cfg = parseConfig({}, { ...CONFIG_DEFAULTS, hbIntervalS: 42 });
    expect(cfg.hbIntervalS).toBe(42);
  });

  it('names the variable it refuses', () => {
    expect(() => loadConfig({ HB_INTERVAL_S: '0' })).toThrow(new ConfigError('invalid HB_INTERVAL_S: HB_INTERVAL_S must be at least 1'));
    expect(() => loadConfig({ SRT_LISTENER_DORMANT_S: '-1' })).toThrow(new ConfigError('invalid SRT_LISTENER_DORMANT_S: SRT_LISTENER_DORMANT_S must be >= 0'));
  });
});

describe('MQTT configuration (docs/mqtt.md)', () => {
  it('is off when MQTT_URL is unset, and takes the prefixes with their defaults when set', () => {
    expect(loadConfig({}).mqtt).toBeUndefined();
    expect(loadConfig({ MQTT_URL: 'mqtt://127.0.0.1:1883' }).mqtt).toEqual({
      url: 'mqtt://127.0.0.1:1883',
      username: undefined,
      password: undefined,
      topicPrefix: DEFAULT_MQTT_TOPIC_PREFIX,
      discoveryPrefix: DEFAULT_MQTT_DISCOVERY_PREFIX,
    });
    const cfg = loadConfig({ MQTT_URL: 'mqtts://broker', MQTT_USERNAME: 'u', MQTT_PASSWORD: 'p', MQTT_TOPIC_PREFIX: 'home/cams', MQTT_DISCOVERY_PREFIX: 'ha' });
    expect(cfg.mqtt).toMatchObject({ username: 'u', password: 'p', topicPrefix: 'home/cams', discoveryPrefix: 'ha' });
  });

  it('refuses a URL that is not mqtt:// or mqtts://, and a prefix with a wildcard or an empty level', () => {
    expect(() => loadConfig({ MQTT_URL: 'http://broker' })).toThrow('invalid MQTT_URL: MQTT_URL must be mqtt://host[:port] or mqtts://host[:port]');
    expect(() => loadConfig({ MQTT_URL: 'mqtt://b', MQTT_TOPIC_PREFIX: 'h627/#' })).toThrow('invalid MQTT_TOPIC_PREFIX');
    expect(() => loadConfig({ MQTT_URL: 'mqtt://b', MQTT_DISCOVERY_PREFIX: 'a//b' })).toThrow('invalid MQTT_DISCOVERY_PREFIX');
  });
});

describe('detection settings', () => {
  it('defaults to one worker and 4 frames/s, takes others, and refuses them out of bounds by name', () => {
    expect(loadConfig({}).detection).toEqual({ workers: 1, budgetFps: 4 });
    expect(loadConfig({ DETECT_WORKERS: '2', DETECT_NODE_FPS: '9.5' }).detection).toEqual({ workers: 2, budgetFps: 9.5 });
    expect(() => loadConfig({ DETECT_WORKERS: '17' })).toThrow(/DETECT_WORKERS must be at most 16/);
    expect(() => loadConfig({ DETECT_NODE_FPS: '0' })).toThrow(/DETECT_NODE_FPS must be at least 0.1/);
  });

  it('keeps detection events 30 days by default, as long as asked within 1 to 36500, and refuses the rest by name', () => {
    const DAY_MS = 86_400_000;
    expect(loadConfig({}).detectionsRetentionMs).toBe(30 * DAY_MS);
    expect(loadConfig({ DETECTIONS_RETENTION_DAYS: '7' }).detectionsRetentionMs).toBe(7 * DAY_MS);
    expect(() => loadConfig({ DETECTIONS_RETENTION_DAYS: '0' })).toThrow(/DETECTIONS_RETENTION_DAYS must be at least 1/);
    expect(() => loadConfig({ DETECTIONS_RETENTION_DAYS: 'a month' })).toThrow(/DETECTIONS_RETENTION_DAYS must be a number of days/);
  });
});
