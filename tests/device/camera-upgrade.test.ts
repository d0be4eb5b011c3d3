/** Firmware upgrade (UpgradeFirmware, QueryUpgrade; H.627.2 I.2.7, I.2.8). */
import { describe, expect, it } from 'bun:test';
import { DEVICE_STATE } from '../../protocol/index.ts';
import { cameraRig } from './camera-harness.ts';

const FW_URL = 'https://p.test/firmware/2.0.0.bin';
type Upgrade = { upgrade_status: string; progress: number; firmware_model: string };

describe('firmware upgrade', () => {
  it('reports notstart before any upgrade', async () => {
    const rig = cameraRig({ firmwareModel: '1.0.0' });
    expect(await rig.ok('QueryUpgrade')).toEqual({ upgrade_status: 'notstart', progress: 0, firmware_model: '1.0.0' });
  });

  it('downloads, installs with progress 0–100, reports done with the new firmware, then reboots', async () => {
    const rig = cameraRig({ firmwareModel: '1.0.0', timings: { upgradeStepMs: 100, upgradeRebootDelayMs: 500 } });
    const reboots: string[] = [];
    rig.camera.onReboot = (reason) => reboots.push(reason);
    expect(rig.tell('UpgradeFirmware', { firmware_model: '2.0.0', url: FW_URL })).toBeUndefined();
    expect(await rig.ok('QueryUpgrade')).toEqual({ upgrade_status: 'downloading', progress: 0, firmware_model: '1.0.0' });
    expect(rig.camera.keepalive().state).toBe(DEVICE_STATE.upgrading);
    await rig.advance(0);
    expect(rig.http.map((r) => [r.method, r.url])).toEqual([['GET', FW_URL]]);
    const seen: Upgrade[] = [];
    for (let i = 0; i < 10; i++) {
      await rig.advance(100);
      seen.push(await rig.ok<Upgrade>('QueryUpgrade'));
    }
    const progress = seen.map((s) => s.progress);
    expect(progress).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(seen.slice(0, 5).every((s) => s.upgrade_status === 'downloading')).toBe(true);
    expect(seen.slice(5, 9).every((s) => s.upgrade_status === 'installing')).toBe(true);
    expect(seen[9]).toEqual({ upgrade_status: 'done', progress: 100, firmware_model: '2.0.0' });
    expect(rig.camera.keepalive().state).toBe(DEVICE_STATE.online);
    expect(rig.camera.devStatus()).toMatchObject({ firmware_model: '2.0.0', last_upgrade_datetime: '2026-01-01T20:00:01' });
    await rig.advance(499);
    expect(reboots).toEqual([]);
    await rig.advance(1);
    expect(reboots).toEqual(['firmware upgraded to 2.0.0']);
  });

  it('ends in error when the firmware cannot be fetched', async () => {
    const rig = cameraRig({ firmwareModel: '1.0.0' });
    rig.httpStatus.set(FW_URL, 404);
    rig.tell('UpgradeFirmware', { firmware_model: '2.0.0', url: FW_URL });
    await rig.advance(0);
    expect(await rig.ok('QueryUpgrade')).toEqual({ upgrade_status: 'error', progress: 0, firmware_model: '1.0.0' });
    expect(rig.camera.logs.entries().at(-1)?.text).toContain('HTTP 404');
  });

  it('ends in error when the firmware server is unreachable', async () => {
    const rig = cameraRig();
    rig.httpStatus.set(FW_URL, 0);
    rig.tell('UpgradeFirmware', { firmware_model: '2.0.0', url: FW_URL });
    await rig.advance(0);
    expect((await rig.ok<Upgrade>('QueryUpgrade')).upgrade_status).toBe('error');
  });

  it('ignores a second UpgradeFirmware while one runs', async () => {
    const rig = cameraRig({ timings: { upgradeStepMs: 100 } });
    rig.tell('UpgradeFirmware', { firmware_model: '2.0.0', url: FW_URL });
    rig.tell('UpgradeFirmware', { firmware_model: '3.0.0', url: FW_URL });
    await rig.advance(0);
    expect(rig.http.length).toBe(1);
  });

  it('is done at once when asked to install the firmware it runs', async () => {
    const rig = cameraRig({ firmwareModel: '2.0.0' });
    rig.tell('UpgradeFirmware', { firmware_model: '2.0.0', url: FW_URL });
    expect(await rig.ok('QueryUpgrade')).toEqual({ upgrade_status: 'done', progress: 100, firmware_model: '2.0.0' });
    expect(rig.http).toEqual([]);
  });

  it('loses an upgrade cut by a power loss (error)', async () => {
    const rig = cameraRig({ timings: { upgradeStepMs: 100 } });
    rig.tell('UpgradeFirmware', { firmware_model: '2.0.0', url: FW_URL });
    await rig.advance(300);
    rig.camera.powerOff();
    expect(await rig.ok<Upgrade>('QueryUpgrade')).toMatchObject({ upgrade_status: 'error', firmware_model: '1.0.0' });
  });
});
