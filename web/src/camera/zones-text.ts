/**
 * Detection zones as text (the setting form's zones field, docs/console.md "Detection"): one zone a line, `name: x,y
 * x,y x,y …`, corners as fractions of the picture (0 left/top, 1 right/bottom). Parsed with the API's bounds, so a
 * mistake is named with its line before anything is sent; the API checks again.
 */
import { ZONE_NAME_MAX_CHARS, ZONE_POINTS_MAX, ZONE_POINTS_MIN, ZONES_MAX } from '../../../protocol/detection-bounds.ts';

/** A zone as the API takes it. */
export interface Zone {
  name: string;
  points: [number, number][];
}

/** Decimals a corner is written with (a thousandth of the picture: finer than a click can be). */
const DECIMALS = 3;

/** A zone as one line of text. */
export const zoneLine = (z: Zone) => `${z.name}: ${z.points.map(([x, y]) => `${x.toFixed(DECIMALS)},${y.toFixed(DECIMALS)}`).join(' ')}`;

/** Zones as the field's text. */
export const zonesText = (zones: readonly Zone[]) => zones.map(zoneLine).join('\n');

/** The zones a text describes, or the first mistake, naming its line. */
export function parseZones(text: string): { zones: Zone[] } | { error: string } {
  const zones: Zone[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const at = `Line ${i + 1}`;
    const colon = line.indexOf(':');
    if (colon < 0) return { error: `${at}: write the zone's name, a colon, then its corners (door: 0.1,0.5 0.9,0.5 0.5,1)` };
    const name = line.slice(0, colon).trim();
    if (!name || name.length > ZONE_NAME_MAX_CHARS) return { error: `${at}: a zone's name has 1 to ${ZONE_NAME_MAX_CHARS} characters` };
    if (zones.some((z) => z.name === name)) return { error: `${at}: another zone is named ${name}` };
    const points: [number, number][] = [];
    for (const pair of line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean)) {
      const [x, y, more] = pair.split(',').map(Number);
      const ok = (v: number | undefined) => v !== undefined && Number.isFinite(v) && v >= 0 && v <= 1;
      if (more !== undefined || !ok(x) || !ok(y)) return { error: `${at}: "${pair}" is no corner: write x,y with each between 0 and 1` };
      points.push([x!, y!]);
    }
    if (points.length < ZONE_POINTS_MIN || points.length > ZONE_POINTS_MAX)
      return { error: `${at}: a zone has ${ZONE_POINTS_MIN} to ${ZONE_POINTS_MAX} corners, this one ${points.length}` };
    zones.push({ name, points });
  }
  if (zones.length > ZONES_MAX) return { error: `At most ${ZONES_MAX} zones, not ${zones.length}` };
  return { zones };
}
