/**
 * The simulator's FFmpeg children die with it. A test that times out, or a simulator killed with -9, used to leave its
 * FFmpeg processes running for good (found: recorders still encoding twenty minutes after their test ended). On
 * Linux the command runs under util-linux's `setpriv --pdeathsig KILL` (always installed with Debian): the kernel
 * kills the child when the process that started it dies. Elsewhere the command runs as given.
 */
import { existsSync } from 'node:fs';

/** util-linux's setpriv. */
const SETPRIV = '/usr/bin/setpriv';
const wrap = process.platform === 'linux' && existsSync(SETPRIV);

/** `cmd`, made to die with this process where the system allows it. */
export function diesWithParent(cmd: string[]): string[] {
  return wrap ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...cmd] : cmd;
}
