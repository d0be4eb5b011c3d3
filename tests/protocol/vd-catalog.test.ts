import { describe, expect, it } from 'bun:test';
import { acceptsVd, isVdName, vd, VD_NAMES, validateVdParams, validateVdResp, type VdEntry } from '../../protocol/index.ts';
import { applyEdits, VD_EXAMPLES } from './vd-examples.ts';

/** Table 9-4 as printed (message type), with BatteryChange's sender corrected (NOTES 5). */
const TABLE_9_4_RPCS = [
  'Keepalive',
  'GetServerInfo',
  'QueryUpgrade',
  'Settime',
  'QueryTime',
  'DevStatus',
  'PushLive',
  'StopLive',
  'StartRecord',
  'StopRecord',
  'AlarmNotify',
  'GetPTZPresetList',
  'GetConfig',
  'SetConfig',
  'ResetConfig',
  'Snapshot',
  'QueryVideoStatus',
  'KeepAwaken',
  'GetCap',
  'LogUploadAsync',
  'GetDiskInfo',
  'FormatDisk',
];
const SENT_BY_PU = ['Keepalive', 'GetServerInfo', 'Bind', 'AlarmNotify', 'BatteryChange', 'LogDone'];

describe('the Vd catalog', () => {
  it('lists the 32 messages of Table 9-4, once each, in table order', () => {
    expect(VD_NAMES).toHaveLength(32);
    expect(new Set(VD_NAMES).size).toBe(32);
    expect(Object.keys(vd)).toEqual([...VD_NAMES]);
  });

  it('marks the RPCs of Table 9-4 as rpc and every other message as event', () => {
    for (const name of VD_NAMES) expect([name, vd[name].kind]).toEqual([name, TABLE_9_4_RPCS.includes(name) ? 'rpc' : 'event']);
  });

  it('has the PU send Keepalive, GetServerInfo, Bind, AlarmNotify, BatteryChange and LogDone, and the platform the rest', () => {
    for (const name of VD_NAMES) expect([name, vd[name].from]).toEqual([name, SENT_BY_PU.includes(name) ? 'pu' : 'platform']);
  });

  it('cites Appendix I clauses I.2.1 to I.2.32 in order', () => {
    expect(VD_NAMES.map((name): string => vd[name].clause)).toEqual(VD_NAMES.map((_, i) => `I.2.${i + 1}`));
  });

  it('gives every RPC an answer schema and no event one', () => {
    for (const name of VD_NAMES) {
      const entry: VdEntry = vd[name];
      expect([name, 'resp' in entry]).toEqual([name, entry.kind === 'rpc']);
    }
  });

  it('has an Appendix I example for every message, with an answer exactly for the RPCs', () => {
    expect(Object.keys(VD_EXAMPLES).sort()).toEqual([...VD_NAMES].sort());
    for (const name of VD_NAMES) expect([name, VD_EXAMPLES[name].resp !== undefined]).toEqual([name, vd[name].kind === 'rpc']);
  });

  it('has rejection cases for the params of every message and the answer of every RPC', () => {
    for (const name of VD_NAMES) {
      const { bad } = VD_EXAMPLES[name];
      expect([name, bad.some((c) => c.where === 'params')]).toEqual([name, true]);
      if (vd[name].kind === 'rpc') expect([name, bad.some((c) => c.where === 'resp')]).toEqual([name, true]);
    }
  });

  it('has a missing-field case for every message whose params have required fields', () => {
    for (const name of VD_NAMES) {
      const needsFields = !validateVdParams(name, {}).ok;
      expect([name, VD_EXAMPLES[name].bad.some((c) => c.where === 'params' && c.why === 'missing')]).toEqual([name, needsFields]);
    }
  });

  it('tells which messages a side may send as which kind, so anything else gets err 101', () => {
    expect(acceptsVd('Keepalive', 'pu', 'rpc')).toBe(true);
    expect(acceptsVd('Bind', 'pu', 'event')).toBe(true);
    expect(acceptsVd('BatteryChange', 'pu', 'event')).toBe(true);
    expect(acceptsVd('PushLive', 'pu', 'rpc')).toBe(false);
    expect(acceptsVd('Bind', 'pu', 'rpc')).toBe(false);
    expect(acceptsVd('LivePublish', 'pu', 'rpc')).toBe(false);
    expect(acceptsVd('PushLive', 'platform', 'rpc')).toBe(true);
  });

  it('knows its own names and no others', () => {
    expect(VD_NAMES.every(isVdName)).toBe(true);
    expect(isVdName('LivePublish')).toBe(false);
    expect(isVdName('toString')).toBe(false);
  });
});

for (const name of VD_NAMES) {
  const example = VD_EXAMPLES[name];
  const entry: VdEntry = vd[name];

  describe(`Vd ${name} (${entry.clause})`, () => {
    it('accepts the Appendix I example params', () => {
      const result = validateVdParams(name, example.params);
      expect(result.ok ? 'ok' : result.error).toBe('ok');
    });

    if (example.params === undefined) {
      it('accepts params that are absent or an empty object', () => {
        expect(validateVdParams(name, undefined).ok).toBe(true);
        expect(validateVdParams(name, {}).ok).toBe(true);
      });
    }

    if (entry.kind === 'rpc') {
      it('accepts the Appendix I example answer', () => {
        const result = validateVdResp(name, example.resp);
        expect(result.ok ? 'ok' : result.error).toBe('ok');
      });
    } else {
      it('has no answer to validate, being an event', () => {
        expect(validateVdResp(name, {})).toMatchObject({ ok: false, kind: 'invalid' });
      });
    }

    for (const c of example.bad) {
      it(`rejects ${c.where} with ${c.field} ${c.why}, naming ${c.field}`, () => {
        const input = applyEdits(c.where === 'params' ? example.params : example.resp, c.edits);
        const result = c.where === 'params' ? validateVdParams(name, input) : validateVdResp(name, input);
        expect(result.ok).toBe(false);
        if (result.ok) return;
        expect(result.kind).toBe('invalid');
        expect(result.error).toContain(`${c.field}: `);
      });
    }
  });
}

describe('Vd validation by name', () => {
  it('reports an unknown message name as its own result, so the platform can answer err 101', () => {
    expect(validateVdParams('LivePublish', {})).toEqual({ ok: false, kind: 'unknown-name', error: 'unknown message "LivePublish"' });
    expect(validateVdResp('LivePublish', {})).toMatchObject({ ok: false, kind: 'unknown-name' });
  });

  it('names every failing field in one line', () => {
    const result = validateVdParams('Keepalive', { state: 9, channels: [{ channel: 0, state: 2 }] });
    expect(result).toMatchObject({ ok: false, kind: 'invalid' });
    if (result.ok) return;
    expect(result.error).toBe('params.state: expected one of 1|2|3, got 9; params.channels[0].state: expected one of 0|1|3|4, got 2');
    expect(result.error).not.toContain('\n');
  });
});
