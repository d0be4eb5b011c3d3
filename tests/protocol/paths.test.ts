/**
 * Ids that name things in URLs and on disk: they accept exactly what the platform makes (checked
 * against the platform's own generators and constants), device ids as file-safe names, and refuse
 * every traversal attempt (`../`, encoded, doubly encoded, absolute, backslashes, NUL, 10 KB).
 */
import { describe, expect, it } from 'bun:test';
import { randomBytes, randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { parseWith } from '../../protocol/errors.ts';
import {
  ActorId,
  AssetName,
  ChannelParam,
  DeviceId,
  RECORD_SESSION_ID_BYTES,
  RecordSessionId,
  SEGMENT_NAME_PATTERN,
  SegmentName,
  STREAM_ID_BYTES,
  StreamId,
  UPLOAD_TOKEN_BYTES,
  UploadToken,
  Uuid,
  VR_CHANNEL_ID_BYTES,
  VrChannelId,
} from '../../protocol/paths.ts';
import { TransIdText } from '../../protocol/vd-common.ts';
import { validateVdParams } from '../../protocol/vd.ts';
import { VrSegmentName } from '../../protocol/vr.ts';
import { STREAM_ID_BYTES as PLATFORM_STREAM_ID_BYTES } from '../../services/live/live.ts';
import { CHANNEL_TOKEN_BYTES, SESSION_ID_BYTES } from '../../services/recording/recording.ts';
import { SEGMENT_NAME } from '../../services/recording/recording-urls.ts';
import { randomToken } from '../../lib/secrets.ts';

const ok = (schema: z.ZodType, value: string) => schema.safeParse(value).success;

/** Traversal and injection attempts every id must refuse. */
const ATTACKS = [
  '..',
  '.',
  '../',
  '../../etc/passwd',
  '..%2f..',
  '%2e%2e',
  '%2e%2e%2f',
  '%252e%252e%252f',
  '..\\..\\x',
  '\\\\server\\share',
  '/etc/passwd',
  'C:\\Windows',
  'a/b',
  'a\\b',
  'a\u0000b',
  '\u0000',
  '\uD800',
  'a b',
  'x'.repeat(10_240),
  '',
];

describe('ids the platform makes', () => {
  it('match the platform: sizes of random ids and the segment name pattern', () => {
    expect([RECORD_SESSION_ID_BYTES, VR_CHANNEL_ID_BYTES, STREAM_ID_BYTES]).toEqual([SESSION_ID_BYTES, CHANNEL_TOKEN_BYTES, PLATFORM_STREAM_ID_BYTES]);
    expect(SEGMENT_NAME_PATTERN.source).toBe(SEGMENT_NAME.source);
  });

  it('accept what the platform generates', () => {
    for (let i = 0; i < 200; i++) {
      expect(ok(RecordSessionId, randomToken(SESSION_ID_BYTES))).toBe(true);
      expect(ok(VrChannelId, randomToken(CHANNEL_TOKEN_BYTES))).toBe(true);
      expect(ok(UploadToken, randomToken(UPLOAD_TOKEN_BYTES))).toBe(true);
      expect(ok(UploadToken, randomToken())).toBe(true);
      expect(ok(StreamId, randomBytes(PLATFORM_STREAM_ID_BYTES).toString('hex'))).toBe(true);
      expect(ok(Uuid, randomUUID())).toBe(true);
    }
    expect(ok(SegmentName, '1732615445123-k3x9.ts')).toBe(true);
    expect(ok(ActorId, 'seg:AbCdEfGhIjKlMnOp:1732615445123-k3x9')).toBe(true);
  });

  it('read a UUID in any case as lower case', () => {
    expect(Uuid.parse('0F3C2A1B-0000-4000-8000-00000000ABCD')).toBe('0f3c2a1b-0000-4000-8000-00000000abcd');
  });

  it('refuse every traversal attempt', () => {
    for (const schema of [RecordSessionId, VrChannelId, UploadToken, StreamId, Uuid, SegmentName, VrSegmentName, TransIdText, DeviceId, ActorId, AssetName]) {
      for (const attack of ATTACKS) expect([attack.slice(0, 20), ok(schema, attack)]).toEqual([attack.slice(0, 20), false]);
    }
  });
});

describe('device ids', () => {
  it('are file-safe names: letters, digits, ".", "_", "-", ":", beginning with a letter or digit', () => {
    for (const id of [
      'CAM-E2E-1',
      'BENCH-000001',
      '2009550000011079',
      'a0b1c2d3e4f5',
      'a0:b1:c2:d3:e4:f5',
      'A0-B1-C2-D3-E4-F5',
      'cam_1.front',
      'X'.repeat(64),
    ]) {
      expect([id, ok(DeviceId, id)]).toEqual([id, true]);
    }
    for (const id of ['.hidden', '-rf', '_x', 'cam/1', 'cam 1', 'cam#1', 'café', 'X'.repeat(65), ...ATTACKS])
      expect([id.slice(0, 20), ok(DeviceId, id)]).toEqual([id.slice(0, 20), false]);
  });

  it('name the field when refused', () => {
    const r = parseWith(DeviceId, '..', 'device_id');
    expect(r.ok ? 'accepted' : r.error).toStartWith('device_id: expected a device id');
  });
});

describe('trans_id (NOTES 11)', () => {
  const params = { start: '2022-03-16T00:00:00', end: '2022-03-16T08:00:00', url: 'https://p.example/upload/x' };

  it('is an integer or a bounded token of letters, digits, "-" and "_", read as text', () => {
    for (const id of [0, 1024, Number.MAX_SAFE_INTEGER, '1024', 'log_2024-01-01', 'A'.repeat(64)]) {
      const r = validateVdParams('LogUploadAsync', { ...params, trans_id: id });
      expect(r.ok ? r.value.trans_id : r.error).toBe(String(id));
    }
  });

  it('refuses paths, dots, other characters, negative or fractional numbers, naming params.trans_id', () => {
    for (const id of ['../../../../tmp/x', '../cam/1', 'a.b', 'a b', '', 'A'.repeat(65), -1, 1.5, true, 'x\u0000']) {
      const r = validateVdParams('LogUploadAsync', { ...params, trans_id: id });
      expect([id, r.ok ? 'accepted' : r.error.split(':')[0]]).toEqual([id, 'params.trans_id']);
    }
  });
});

describe('channel numbers in paths', () => {
  it('are decimal digits up to CHANNEL_MAX', () => {
    expect(ChannelParam.parse('0')).toBe(0);
    expect(ChannelParam.parse('65535')).toBe(65535);
    for (const ch of ['65536', '-1', '1.5', '1e3', 'abc', '', '0x10', '99999999999']) expect([ch, ok(ChannelParam, ch)]).toEqual([ch, false]);
  });
});
