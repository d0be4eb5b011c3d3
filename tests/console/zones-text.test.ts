/** The detection card's zones as text (web/src/camera/zones-text.ts): read back what it writes, each mistake named by its line. */
import { describe, expect, it } from 'bun:test';
import { ZONE_POINTS_MAX, ZONES_MAX } from '../../protocol/detection-bounds.ts';
import { DetectZone } from '../../protocol/detection-api.ts';
import { parseZones, zonesText } from '../../web/src/camera/zones-text.ts';

const door = {
  name: 'front door',
  points: [
    [0.1, 0.5],
    [0.9, 0.5],
    [0.5, 1],
  ] as [number, number][],
};

describe('zones as text', () => {
  it('reads back the zones it writes, blank lines ignored, and each is a zone the API takes', () => {
    const text = `${zonesText([door, { ...door, name: 'drive' }])}\n\n`;
    expect(text.split('\n')[0]).toBe('front door: 0.100,0.500 0.900,0.500 0.500,1.000');
    const parsed = parseZones(text);
    expect(parsed).toEqual({ zones: [door, { ...door, name: 'drive' }] });
    if ('zones' in parsed) for (const z of parsed.zones) expect(DetectZone.safeParse(z).success).toBe(true);
    expect(parseZones('')).toEqual({ zones: [] });
  });

  it('names the line of each mistake', () => {
    const bad: Array<[string, string]> = [
      ['door 0.1,0.5', 'Line 1: write the zone'],
      [': 0,0 1,0 1,1', "Line 1: a zone's name"],
      ['a: 0,0 1,0 1,1\na: 0,0 1,0 1,1', 'Line 2: another zone is named a'],
      ['\na: 0,0 1,0 2,1', 'Line 2: "2,1" is no corner'],
      ['a: 0,0 1,0 x,1', '"x,1" is no corner'],
      ['a: 0,0 1,0,1 1,1', '"1,0,1" is no corner'],
      ['a: 0,0 1,0', 'Line 1: a zone has 3'],
      [
        `a: ${Array(ZONE_POINTS_MAX + 1)
          .fill('0,0')
          .join(' ')}`,
        `this one ${ZONE_POINTS_MAX + 1}`,
      ],
      [Array.from({ length: ZONES_MAX + 1 }, (_, i) => `z${i}: 0,0 1,0 1,1`).join('\n'), `At most ${ZONES_MAX} zones`],
    ];
    for (const [text, says] of bad) {
      const r = parseZones(text);
      expect('error' in r ? r.error : '').toContain(says);
    }
  });
});
