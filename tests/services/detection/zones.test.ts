/** Zones and classes: which detections are of interest (foot point in a zone; groups expand to COCO classes). */
import { describe, expect, it } from 'bun:test';
import { expandClasses } from '../../../protocol/coco-classes.ts';
import type { Detection } from '../../../services/detection/model.ts';
import { inPolygon, ofInterest } from '../../../services/detection/zones.ts';

const LEFT_HALF = {
  name: 'left',
  points: [
    [0, 0],
    [0.5, 0],
    [0.5, 1],
    [0, 1],
  ] as [number, number][],
};
const W = 1000;
const H = 500;
const person = (x: number): Detection => ({ class: 'person', score: 0.8, box: [x, 100, 100, 300] });

describe('zones', () => {
  it('tells inside from outside of a polygon, concave ones too', () => {
    const l = [
      [0, 0],
      [1, 0],
      [1, 0.2],
      [0.2, 0.2],
      [0.2, 1],
      [0, 1],
    ] as [number, number][];
    expect(inPolygon(0.1, 0.5, l)).toBe(true);
    expect(inPolygon(0.5, 0.5, l)).toBe(false);
    expect(inPolygon(0.5, 0.1, l)).toBe(true);
  });

  it('keeps an object whose feet (bottom centre) stand in a zone, naming the zone', () => {
    const found = ofInterest([person(100), person(700)], new Set(['person']), [LEFT_HALF], W, H);
    expect(found).toEqual([{ ...person(100), zones: ['left'] }]);
  });

  it('keeps every object of the classes wanted when there are no zones, and none of the others', () => {
    const dog: Detection = { class: 'dog', score: 0.9, box: [0, 0, 10, 10] };
    expect(ofInterest([person(100), dog], new Set(['person']), [], W, H)).toEqual([person(100)]);
  });

  it('expands groups to their COCO classes', () => {
    const s = expandClasses(['vehicle', 'cat']);
    expect(s.has('car')).toBe(true);
    expect(s.has('truck')).toBe(true);
    expect(s.has('cat')).toBe(true);
    expect(s.has('person')).toBe(false);
  });
});
