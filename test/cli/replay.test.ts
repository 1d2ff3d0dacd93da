import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { parseAlarm } from '../../common/alarm.ts';
import { main } from '../../cli/main.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VTEST = path.join(root, 'fixtures/.cache/vtest.avi');
const SITE = path.join(root, 'fixtures/sites/vtest.yaml');

function vigil(args: string[], timeoutMs = 180_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/vigil.js'), ...args], { cwd: root, env: { ...process.env, VIGIL_LOG_LEVEL: 'error' } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d; });
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`vigil ${args.join(' ')} timed out\n${stderr}`)); }, timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

// Each spawn pays tsx and model start-up; the cases are independent, so they run side by side.
describe.concurrent('vigil replay', () => {
  let dir: string;
  let clip: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-replay-'));
    clip = path.join(dir, 'clip.avi');
    // 4 s of vtest keeps a run to 8 detected frames at 2 fps.
    const ff = spawn('ffmpeg', ['-loglevel', 'error', '-y', '-t', '4', '-i', VTEST, '-c', 'copy', clip]);
    await new Promise<void>((res, rej) => ff.on('close', (c) => (c === 0 ? res() : rej(new Error(`ffmpeg exited ${c}`)))));
  });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('--json: one contract line per alarm, then a summary; with --truth the abandoned scores; --snapshots writes JPEGs', async () => {
    // The vtest site with thresholds low enough that a handful of walkers raise alarms.
    const site = parseYaml(readFileSync(SITE, 'utf8')) as { cameras: { source: { file: string }; zones: { crowd: Record<string, number> }[] }[] };
    site.cameras[0]!.source.file = VTEST;
    for (const z of site.cameras[0]!.zones) z.crowd = { warningDensity: 0.01, criticalDensity: 0.5, minDurationS: 1, clearDurationS: 2, smoothingS: 1 };
    const config = path.join(dir, 'low.yaml');
    writeFileSync(config, toYaml(site));
    const truth = path.join(dir, 'truth.json');
    writeFileSync(truth, JSON.stringify({ objects: [{ id: 'bag1', abandonAt: 2, bbox: [100, 300, 130, 330] }] }));
    const snaps = path.join(dir, 'snaps');

    const r = await vigil(['replay', clip, '--config', config, '--json', '--truth', truth, '--dwell', '3', '--snapshots', snaps]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = (lines.pop() as { summary: Record<string, any> }).summary;
    const crowd = lines.filter((a) => a.kind === 'crowd.density');
    expect(crowd.length).toBeGreaterThanOrEqual(2);
    for (const a of lines) {
      for (const k of ['id', 'kind', 'state', 'site', 'camera', 'zone', 'mediaTime']) expect(a).toHaveProperty(k);
      expect(typeof a.mediaTime).toBe('number');
      parseAlarm(a);
    }
    expect(crowd[0]).toMatchObject({ state: 'raised', site: 'vtest', camera: 'walkway' });
    // every raised crowd alarm is cleared by the end, in its episode
    const raised = new Set(crowd.filter((a) => a.state === 'raised').map((a) => a.episode));
    const cleared = new Set(crowd.filter((a) => a.state === 'cleared').map((a) => a.episode));
    expect(cleared).toEqual(raised);
    const snap = (crowd[0]!.snapshot as { name: string; width: number }).name;
    expect(existsSync(snap)).toBe(true);
    expect(readFileSync(snap).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(readdirSync(snaps).length).toBeGreaterThanOrEqual(1);

    expect(summary.frames).toBe(8);
    expect(summary.detectFps).toBe(2);
    expect(summary.durationS).toBeCloseTo(4, 0);
    expect(summary.dropped).toBe(0);
    expect(summary.alarms.total).toBe(lines.length);
    expect(summary.alarms.byKind['crowd.density']).toBe(crowd.length);
    expect(summary.zones.map((z: { zone: string }) => z.zone)).toEqual(['walkway-west', 'walkway-east']);
    expect(summary.zones[1].areaM2).toBe(156);
    expect(summary.zones[1].peakCount).toBeGreaterThan(1);
    expect(summary.zones[1].method).toBe('detections');
    expect(summary.processingFps).toBeGreaterThan(0);
    expect(summary.abandoned).toMatchObject({ dwellS: 3 });
    for (const k of ['truePositives', 'falsePositives', 'falseNegatives', 'meanDelaySeconds']) expect(summary.abandoned).toHaveProperty(k);
    expect(summary.assumptions).toBeUndefined();
  }, 240_000);

  it('without a config: the whole frame is one zone of a stated assumed area; readable output', async () => {
    const r = await vigil(['replay', clip, '--fps', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/4 frames at 1 fps/);
    expect(r.stdout).toMatch(/zone clip\/frame: peak [\d.]+ persons/);
    expect(r.stdout).toMatch(/assumed 100 m²/);
  }, 240_000);

  it('a missing video: a clear error naming the file, non-zero exit, nothing on stdout', async () => {
    const r = await vigil(['replay', path.join(dir, 'nope.avi'), '--json']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/nope\.avi/);
    expect(r.stdout).toBe('');
  }, 120_000);
});

/**
 * The other bad inputs go through the same entry point in this process
 * (cli/main.ts, which bin/vigil.js calls), which spares a process start per case.
 */
describe('vigil replay: bad input', () => {
  let dir: string;
  let clip: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-replay-bad-'));
    clip = path.join(dir, 'clip.avi');
    writeFileSync(clip, readFileSync(VTEST).subarray(0, 400_000));
  });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  async function run(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
    let stderr = '', stdout = '';
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => { stderr += String(chunk); return true; });
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { stdout += String(chunk); return true; });
    try {
      return { code: await main(['replay', ...args]), stderr, stdout };
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
  }

  it('corrupt video and unknown codec name the file', async () => {
    const garbage = path.join(dir, 'garbage.avi');
    writeFileSync(garbage, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
    const unknown = path.join(dir, 'unknown.avi');
    writeFileSync(unknown, Buffer.from(readFileSync(VTEST).subarray(0, 300_000).toString('latin1').replaceAll('div3', 'zq9x').replaceAll('DIV3', 'ZQ9X'), 'latin1'));
    const g = await run([garbage, '--json']);
    expect(g.code).not.toBe(0);
    expect(g.stderr).toMatch(/garbage\.avi/);
    expect(g.stdout).toBe('');
    const u = await run([unknown]);
    expect(u.code).not.toBe(0);
    expect(u.stderr).toMatch(/unknown\.avi.*codec/);
  });

  it('a truncated video replays what there is, warns, and exits non-zero', async () => {
    const whole = path.join(dir, 'whole.mp4');
    const cut = path.join(dir, 'cut.mp4');
    // The header (moov, at the front) declares 6 s; the cut keeps 40 % of the bytes.
    const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=5', '-t', '6', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', whole]);
    expect(made.status, String(made.stderr)).toBe(0);
    const bytes = readFileSync(whole);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.4)));
    const r = await run([cut, '--json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/warning: .*cut\.mp4: the video ended at [\d.]+ s of the 6 s its header declares; the file looks truncated/);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!).summary;
    expect(summary.truncated.declaredS).toBe(6);
    expect(summary.truncated.decodedS).toBeLessThan(5);
    const ok = await run([whole, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout.trim().split('\n').at(-1)!).summary.truncated).toBeUndefined();
  }, 120_000);

  it('a bad config names the file and the path; broken YAML names the file', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'site: { id: s, name: S }\ncameras:\n  - id: c\n    source: { file: x.avi }\n    zones:\n      - id: z\n        polygon: [[0, 0], [1, 0], [1, 1]]\n        areaM2: -5\n');
    const r = await run([clip, '--config', bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('bad.yaml');
    expect(r.stderr).toMatch(/cameras\.0\.zones\.0\.areaM2/);
    const notYaml = path.join(dir, 'broken.yaml');
    writeFileSync(notYaml, 'site: [unclosed\n');
    const y = await run([clip, '--config', notYaml]);
    expect(y.code).not.toBe(0);
    expect(y.stderr).toContain('broken.yaml');
    const missing = await run([clip, '--config', path.join(dir, 'absent.yaml')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('absent.yaml');
  });

  it('unknown --camera, bad --fps and --dwell, no video, unreadable --truth', async () => {
    const c = await run([clip, '--config', SITE, '--camera', 'lobby']);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toMatch(/--camera.*lobby.*walkway/);
    for (const args of [['--fps', 'fast'], ['--fps', '0'], ['--dwell', '-1']]) {
      const r = await run([clip, ...args]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(args[0]);
    }
    const n = await run([]);
    expect(n.code).not.toBe(0);
    expect(n.stderr).toMatch(/video/);
    const t = await run([clip, '--truth', path.join(dir, 'no-truth.json')]);
    expect(t.code).not.toBe(0);
    expect(t.stderr).toMatch(/--truth.*no-truth\.json/);
    const badTruth = path.join(dir, 'bad-truth.json');
    writeFileSync(badTruth, '{"objects": [{"id": 1}]}');
    const bt = await run([clip, '--truth', badTruth]);
    expect(bt.code).not.toBe(0);
    expect(bt.stderr).toMatch(/--truth.*objects\.0/);
  });
});
