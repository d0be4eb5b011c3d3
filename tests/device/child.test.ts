/** The simulator's FFmpeg children die with it (device/child.ts): a simulator killed with -9 leaves no process behind. */
import { describe, expect, it } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from '../helpers/wait.ts';

/** A bun process's start and a kill, on a machine as busy as CI's: far more than they take (0.2 s alone). */
const TEST_TIMEOUT_MS = 30_000;
/** How long the kernel may take to kill the child once its parent died. */
const DEATH_MS = 10_000;

/** Whether a process is still running (a zombie waiting for init to reap it has ended). */
function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
}

describe('simulator children', () => {
  it.if(process.platform === 'linux')(
    'are killed when the process that started them is killed with -9',
    async () => {
      const child = join(import.meta.dir, '..', '..', 'device', 'child.ts');
      const script = `import { diesWithParent } from ${JSON.stringify(child)};
      const p = Bun.spawn(diesWithParent(['sleep', '300']), { stdin: 'ignore', stdout: 'ignore' });
      console.log(p.pid);
      await Bun.sleep(300_000);`;
      const parent = Bun.spawn(['bun', '-e', script], { stdout: 'pipe', stderr: 'inherit' });
      const reader = parent.stdout.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      const pid = Number(first.trim());
      expect(pid).toBeGreaterThan(0);
      expect(running(pid)).toBe(true);
      // Killed once the child runs `sleep`: setpriv has asked for the signal by then (killed before, nobody is told).
      await until(
        async () => readFileSync(`/proc/${pid}/comm`, 'utf8').trim(),
        (name) => name === 'sleep',
        DEATH_MS,
      );
      parent.kill('SIGKILL');
      await parent.exited;
      expect(
        await until(
          async () => running(pid),
          (alive) => !alive,
          DEATH_MS,
        ),
      ).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );
});
