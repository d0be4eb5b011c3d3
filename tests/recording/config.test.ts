/** Recording settings from the environment (services/recording/recording-config.ts). */
import { describe, expect, it } from 'bun:test';
import { ConfigError } from '../../lib/config.ts';
import { confirmTtlMs, loadRecordingConfig, uploadWaitMs } from '../../services/recording/recording-config.ts';

describe('recording configuration', () => {
  it('has defaults: 10 min URLs and confirmations, 7 days of retention, no quotas, fsync, $DATA_DIR/cs', () => {
    const c = loadRecordingConfig('/data', {});
    expect(c).toEqual({
      uploadTtlMs: 600_000,
      confirmTtlMs: 600_000,
      retentionS: 604_800,
      deviceQuotaBytes: 0,
      userQuotaBytes: 0,
      csDir: '/data/cs',
      csFsync: true,
      reconcile: { intervalMs: 3_600_000, budget: 10_000, remove: true },
    });
    expect(uploadWaitMs(c)).toBe(1_200_000);
    expect(confirmTtlMs(c, 10)).toBe(600_000);
    expect(confirmTtlMs(c, 3600)).toBe(7_200_000); // never shorter than two segments
  });

  it('reads its variables, ignoring empty ones and other variables', () => {
    const c = loadRecordingConfig('/data', { RECORDING_UPLOAD_TTL_S: '5', RECORDING_CONFIRM_TTL_S: '', CS_DIR: '/mnt/cs', CS_FSYNC: '0', HTTP_PORT: 'x' });
    expect(c).toMatchObject({ uploadTtlMs: 5000, confirmTtlMs: 600_000, csDir: '/mnt/cs', csFsync: false });
  });

  it('names the variable of a bad value', () => {
    expect(() => loadRecordingConfig('/d', { RECORDING_RETENTION_S: '0' })).toThrow(ConfigError);
    expect(() => loadRecordingConfig('/d', { RECORDING_RETENTION_S: '0' })).toThrow('invalid RECORDING_RETENTION_S: RECORDING_RETENTION_S must be at least 1');
    expect(() => loadRecordingConfig('/d', { RECORDING_UPLOAD_TTL_S: '1.5' })).toThrow('RECORDING_UPLOAD_TTL_S must be whole seconds');
    expect(() => loadRecordingConfig('/d', { CS_FSYNC: 'yes' })).toThrow('invalid CS_FSYNC');
    expect(loadRecordingConfig('/d', { RECORDING_RECONCILE_S: '0', RECORDING_RECONCILE_BUDGET: '50', RECORDING_RECONCILE_REMOVE: '0' }).reconcile).toEqual({
      intervalMs: 0,
      budget: 50,
      remove: false,
    });
    expect(() => loadRecordingConfig('/d', { RECORDING_RECONCILE_BUDGET: '0' })).toThrow('RECORDING_RECONCILE_BUDGET must be at least 1');
    expect(() => loadRecordingConfig('/d', { RECORDING_RECONCILE_REMOVE: 'yes' })).toThrow('invalid RECORDING_RECONCILE_REMOVE');
    expect(() => loadRecordingConfig('/d', { RECORDING_DEVICE_QUOTA_BYTES: '-1' })).toThrow('RECORDING_DEVICE_QUOTA_BYTES must be at least 0 (0: no quota)');
    expect(() => loadRecordingConfig('/d', { RECORDING_USER_QUOTA_BYTES: '2000000000000000' })).toThrow('RECORDING_USER_QUOTA_BYTES is over');
    expect(() => loadRecordingConfig('/d', { RECORDING_USER_QUOTA_BYTES: 'lots' })).toThrow('RECORDING_USER_QUOTA_BYTES must be a number of bytes');
  });

  it('reads the quotas in bytes (a household plan of 50 GB for all its cameras)', () => {
    const c = loadRecordingConfig('/d', { RECORDING_DEVICE_QUOTA_BYTES: '10000000000', RECORDING_USER_QUOTA_BYTES: '50000000000' });
    expect(c).toMatchObject({ deviceQuotaBytes: 10_000_000_000, userQuotaBytes: 50_000_000_000 });
  });
});
