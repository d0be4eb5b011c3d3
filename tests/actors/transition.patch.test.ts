/**
 * patches/xstate@5.33.3.patch is applied to the XState that actually runs. Under Bun, `import 'xstate'`
 * resolves to dist/xstate.cjs.mjs, which loads the CommonJS production build (dist/raise-*.cjs.js holds
 * createMachineSnapshot); the patch covers the four builds. Both tests fail on an unpatched install.
 */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { setup } from 'xstate';
import { xstatePatchApplied } from '../../actors/host/transition.ts';

/** The comment every hunk of the patch starts with. */
const PATCH_MARKER = '// h627 patch:';

describe('the XState patch', () => {
  test("is in every loaded XState build that creates snapshots (the patch's marker in the file Bun loaded)", () => {
    void setup; // XState is loaded by this file's import
    const loaded = Object.keys(require.cache).filter((f) => /[\\/]xstate[\\/]dist[\\/][^\\/]+\.js$/.test(f));
    const withSnapshots = loaded.filter((f) => readFileSync(f, 'utf8').includes('function createMachineSnapshot('));
    expect(withSnapshots.length).toBeGreaterThan(0);
    for (const f of withSnapshots) expect({ file: f, patched: readFileSync(f, 'utf8').includes(PATCH_MARKER) }).toEqual({ file: f, patched: true });
  });

  test('takes effect: two snapshots of the same state nodes share one computed value and tag set', () => {
    expect(xstatePatchApplied()).toBe(true);
  });
});
