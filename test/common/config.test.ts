import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSiteConfig } from '../../common/config/site.ts';
import { ConfigError } from '../../common/errors.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-cfg-'));
const write = (name: string, text: string) => { const f = path.join(dir, name); writeFileSync(f, text); return f; };

describe('site config', () => {
  it('loads, applies defaults and freezes', () => {
    const f = write('ok.yaml', `site: { id: metro, name: Metro }\ncameras:\n  - id: cam1\n    source: { file: clip.avi }\n    zones:\n      - { id: hall, polygon: [[0,0],[100,0],[100,100]], areaM2: 50 }\n`);
    const cfg = loadSiteConfig(f);
    expect(cfg.cameras[0]!.zones[0]!.crowd.warningDensity).toBe(2.0);
    expect(cfg.cameras[0]!.zones[0]!.crowd.criticalDensity).toBe(4.0);
    expect(Object.isFrozen(cfg.cameras[0])).toBe(true);
  });
  it('names the file, the path and the reason', () => {
    const f = write('bad.yaml', `site: { id: metro, name: Metro }\ncameras:\n  - id: cam1\n    source: { file: clip.avi }\n    zones:\n      - { id: hall, polygon: [[0,0],[1,1]], areaM2: -3 }\n`);
    try {
      loadSiteConfig(f);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toContain(f);
      expect(msg).toContain('cameras.0.zones.0.polygon');
      expect(msg).toContain('cameras.0.zones.0.areaM2');
    }
  });
  it('reports YAML syntax errors and missing files', () => {
    expect(() => loadSiteConfig(write('syntax.yaml', 'site: [unclosed'))).toThrow(/syntax\.yaml.*not valid YAML/s);
    expect(() => loadSiteConfig(path.join(dir, 'missing.yaml'))).toThrow(/missing\.yaml.*cannot read file/s);
  });
});
