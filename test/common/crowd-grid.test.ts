import { describe, expect, it } from 'vitest';
import { decodeCrowdGrid, encodeCrowdGrid, poolGrid } from '../../common/crowd-grid.ts';

describe('crowd grid in the heartbeat', () => {
  it('pools a 64×64 map to 32×32 keeping the count, and survives encoding to within a byte', () => {
    const map = new Float32Array(64 * 64);
    for (let i = 0; i < map.length; i++) map[i] = ((i * 7919) % 100) / 1000;
    const total = map.reduce((a, b) => a + b, 0);
    const pooled = poolGrid(map, 64, 64, 32, 32);
    expect(pooled.reduce((a, b) => a + b, 0)).toBeCloseTo(total, 3);
    const g = encodeCrowdGrid(pooled, 32, 32);
    expect(g.data.length).toBeLessThanOrEqual(1400);
    expect(Buffer.from(g.data, 'base64')).toHaveLength(1024);
    const back = decodeCrowdGrid(g)!;
    for (let i = 0; i < back.length; i++) expect(Math.abs(back[i]! - pooled[i]!)).toBeLessThanOrEqual(g.max / 500);
  });

  it('refuses malformed grids instead of drawing garbage', () => {
    expect(decodeCrowdGrid({ w: 32, h: 32, max: 1, data: 'AAAA' })).toBeNull();
    expect(decodeCrowdGrid({ w: 1000, h: 1000, max: 1, data: '' })).toBeNull();
    expect(decodeCrowdGrid({ w: 2, h: 1, max: -1, data: 'AAA=' })).toBeNull();
  });

  it('negative regression output is drawn as nobody', () => {
    expect(poolGrid([-1, 2, 0, 0], 2, 2, 1, 1)[0]).toBe(2);
  });
});
