/** The machines' diagrams: drawn from the machine definitions, and docs/machines/ kept current. */
import { describe, expect, it, setDefaultTimeout } from 'bun:test';
import { MACHINES } from '../../actors/machines/index.ts';
import { puMachine } from '../../actors/machines/pu.machine.ts';
import { ANY_STATE, formatDuration, machineGraph, machineSvg } from '../../services/console/diagrams.ts';
import { diagramDrift } from '../../scripts/diagrams.ts';

/** ELK lays out every machine; the first layout warms it up. */
setDefaultTimeout(60_000);

describe('statechart diagrams', () => {
  it('has a box for every state of every machine, named by its path', async () => {
    for (const def of MACHINES) {
      const svg = await machineSvg(def);
      const paths = [...svg.matchAll(/class="sc-state [^"]*" data-state="([^"]+)"/g)].map((m) => m[1]);
      const want: string[] = [];
      const walk = (n: { path: string[]; states: Record<string, unknown> }) => {
        for (const c of Object.values(n.states) as Array<{ path: string[]; states: Record<string, unknown> }>) {
          want.push(c.path.join('.'));
          walk(c);
        }
      };
      walk(def.machine.root as never);
      for (const p of want) expect(paths).toContain(p);
    }
  });

  it('labels transitions with their events, guards and delays', async () => {
    const g = machineGraph(puMachine);
    const labels = g.edges.map((e) => `${e.source} -> ${e.target}: ${e.label}`);
    expect(labels).toContain('online.ready -> online.rebooting: cmd.request [isCommand(RebootDevice)]');
    expect(labels).toContain('online.rebooting -> offline: after REBOOT_TIMEOUT (5 min)');
    expect(labels).toContain(`${ANY_STATE} -> deprovisioned: device.deprovisioned`);
    // Transitions without a target are written inside their state.
    expect(g.states.find((s) => s.path === 'online')!.internal.map((i) => i.label)).toContain('vd.disconnected [sameConnection]');
    // Initial states are marked.
    expect(g.edges).toContainEqual(expect.objectContaining({ source: '^online', target: 'online.ready' }));
    expect(formatDuration(1_800_000)).toBe('30 min');
  });

  it('draws the same SVG every time', async () => {
    const def = MACHINES[0]!;
    expect(await machineSvg(def)).toBe(await machineSvg(def));
  });

  it('keeps docs/machines/ up to date (run `bun run diagrams` after changing a machine)', async () => {
    const drift = await diagramDrift();
    expect({ outOfDate: [...drift.write.keys()], extra: drift.remove }).toEqual({ outOfDate: [], extra: [] });
  });
});
