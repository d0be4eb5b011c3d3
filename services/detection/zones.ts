/** Zones: polygons on the picture (fractions of its size); an object is in a zone when its foot point is. */
import type { DetectZone } from '../../actors/machines/detector.types.ts';
import type { Detection } from './model.ts';

/** Whether point (x, y) lies inside the polygon (ray casting; fractions of the picture). */
export function inPolygon(x: number, y: number, points: readonly (readonly [number, number])[]): boolean {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i] as [number, number];
    const [xj, yj] = points[j] as [number, number];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * The detections of the classes wanted that stand in a zone (the bottom centre of the box: where a person's feet
 * are), each with the zones it is in; with no zones, every detection of those classes.
 */
export function ofInterest(found: Detection[], classes: ReadonlySet<string>, zones: readonly DetectZone[], width: number, height: number) {
  const out: (Detection & { zones?: string[] })[] = [];
  for (const d of found) {
    if (!classes.has(d.class)) continue;
    if (zones.length === 0) {
      out.push(d);
      continue;
    }
    const fx = (d.box[0] + d.box[2] / 2) / width;
    const fy = (d.box[1] + d.box[3]) / height;
    const names = zones.filter((z) => inPolygon(fx, fy, z.points)).map((z) => z.name);
    if (names.length > 0) out.push({ ...d, zones: names });
  }
  return out;
}
