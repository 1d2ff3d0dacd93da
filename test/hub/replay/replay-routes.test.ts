import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, until, PASSWORD, type TestHub } from '../dashboard/harness.ts';
import { createReplayService } from '../../../hub/replay/replay-service.ts';
import { safeClipName } from '../../../hub/replay/fixtures.ts';
import { systemClock } from '../../../common/clock.ts';
import { silentLogger } from '../../../common/log.ts';

const FAKE = path.resolve(import.meta.dirname, 'fake-vigil.mjs');

describe('replay review API', () => {
  let hub: TestHub;
  let dir: string;
  const tokens: Record<string, string> = {};
  const call = (path: string, init: RequestInit = {}, who = 'engineer') => fetch(hub.url + path, { ...init, headers: { authorization: `Bearer ${tokens[who]}`, ...(init.headers ?? {}) } });

  beforeAll(async () => {
    hub = await startTestHub();
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-replay-test-'));
    const fixtures = path.join(dir, 'fixtures');
    mkdirSync(fixtures);
    writeFileSync(path.join(fixtures, 'left-bag.mp4'), Buffer.alloc(2048, 1));
    writeFileSync(path.join(fixtures, 'left-bag.truth.json'), JSON.stringify({ objects: [{ id: 'bag', abandonAt: 6, removedAt: null, bbox: [150, 390, 186, 432] }] }));
    writeFileSync(path.join(fixtures, 'notes.txt'), 'not a clip');
    hub.deps.replay = createReplayService({ clock: systemClock, logger: silentLogger, workDir: path.join(dir, 'work'), fixturesDir: fixtures, command: [process.execPath, FAKE], uploadQuotaBytes: 1024 * 1024, maxQueued: 1 });
    for (const who of ['engineer', 'operator']) {
      const res = await fetch(hub.url + '/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: who, password: PASSWORD }) });
      tokens[who] = (await res.json()).token;
    }
  });
  afterAll(async () => {
    await hub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is for engineers only', async () => {
    expect((await call('/api/replay/clips', {}, 'operator')).status).toBe(403);
    expect((await call('/api/replay/runs', { method: 'POST', body: '{}' }, 'operator')).status).toBe(403);
  });

  it('lists fixture clips with their truth files', async () => {
    const { clips } = await (await call('/api/replay/clips')).json();
    expect(clips).toEqual([{ name: 'left-bag.mp4', source: 'fixture', bytes: 2048, truth: 'left-bag.truth.json' }]);
  });

  it('runs a clip through `vigil replay` and returns its alarms, summary, truth and snapshots', async () => {
    const started = await call('/api/replay/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clip: 'left-bag.mp4' }) });
    expect(started.status).toBe(202);
    const { run } = await started.json();
    const done = await until('run done', async () => {
      const r = (await (await call(`/api/replay/runs/${run.id}`)).json()).run;
      return r.status === 'done' || r.status === 'failed' ? r : null;
    });
    expect(done.status).toBe('done');
    expect(done.alarms.map((a: { state: string; mediaTime: number }) => [a.state, a.mediaTime])).toEqual([['raised', 16.5], ['cleared', 30]]);
    expect(done.summary.abandoned.truePositives).toBe(1);
    expect(done.truth.objects[0].id).toBe('bag');
    const later = (await (await call(`/api/replay/runs/${run.id}?after=1`)).json()).run;
    expect(later.alarms).toHaveLength(1);
    expect(later.alarmCount).toBe(2);
    const snap = path.basename(done.alarms[0].snapshot.name);
    const img = await call(`/api/replay/runs/${run.id}/snapshots/${snap}`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    expect((await call(`/api/replay/runs/${run.id}/snapshots/..%2F..%2Fetc.jpg`)).status).toBe(404);
    const media = await call('/api/replay/media/fixture/left-bag.mp4');
    expect(media.status).toBe(200);
    expect(media.headers.get('content-type')).toBe('video/mp4');
  });

  it('takes an upload larger than the API body limit, and refuses odd names', async () => {
    const clip = Buffer.alloc(300 * 1024, 7); // over the 64 KiB API limit
    const up = await call('/api/replay/uploads?name=my-clip.mp4', { method: 'POST', headers: { 'content-type': 'video/mp4' }, body: clip });
    expect(up.status).toBe(201);
    expect((await up.json()).clip).toMatchObject({ name: 'my-clip.mp4', source: 'upload', bytes: clip.length });
    const { clips } = await (await call('/api/replay/clips')).json();
    expect(clips.map((c: { name: string }) => c.name)).toContain('my-clip.mp4');
    for (const bad of ['../x.mp4', 'x.sh', '.hidden.mp4']) {
      expect((await call(`/api/replay/uploads?name=${encodeURIComponent(bad)}`, { method: 'POST', body: 'x' })).status, bad).toBe(400);
    }
    // Other API routes keep the small limit.
    const big = await call('/api/incidents/x/notes', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note: 'x'.repeat(100_000) }) }, 'operator');
    expect(big.status).toBe(413);
  });

  it('never replaces a clip silently, and keeps uploads under a quota', async () => {
    const put = (name: string, body: Uint8Array<ArrayBuffer>, q = '') => call(`/api/replay/uploads?name=${name}${q}`, { method: 'POST', headers: { 'content-type': 'video/mp4' }, body });
    expect((await put('twice.mp4', new Uint8Array(1000).fill(1))).status).toBe(201);
    const again = await put('twice.mp4', new Uint8Array(2000).fill(2));
    expect(again.status).toBe(409);
    expect((await again.json()).message).toMatch(/replace=true/);
    expect((await (await call('/api/replay/clips')).json()).clips.find((c: { name: string }) => c.name === 'twice.mp4').bytes).toBe(1000);
    expect((await put('twice.mp4', new Uint8Array(2000).fill(2), '&replace=true')).status).toBe(201);
    // 1 MiB in all: what is there already, plus this, is over.
    const over = await put('big.mp4', new Uint8Array(900 * 1024).fill(3));
    expect(over.status).toBe(507);
    const { clips } = await (await call('/api/replay/clips')).json();
    expect(clips.map((c: { name: string }) => c.name)).not.toContain('big.mp4');
    expect(readdirSync(hub.deps.replay!.uploadsDir).filter((f) => f.includes('.part-'))).toEqual([]);
  });

  it('keeps a bounded run queue: beyond it, a run is refused with 429', async () => {
    process.env.FAKE_REPLAY_SLOW_MS = '3000';
    try {
      const start = () => call('/api/replay/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clip: 'left-bag.mp4' }) });
      expect((await start()).status).toBe(202);
      expect((await start()).status).toBe(202);
      const third = await start();
      expect(third.status).toBe(429);
      expect((await third.json()).message).toMatch(/already waiting/);
    } finally {
      delete process.env.FAKE_REPLAY_SLOW_MS;
    }
    await until('the queue to drain', async () => (await (await call('/api/replay/runs')).json()).runs.every((r: { status: string }) => r.status === 'done' || r.status === 'failed'), 30_000);
  });

  it('reports a failed run with the tool\'s message, and refuses unknown clips', async () => {
    expect((await call('/api/replay/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clip: 'nope.mp4' }) })).status).toBe(400);
    process.env.FAKE_REPLAY_FAIL = '1';
    try {
      const { run } = await (await call('/api/replay/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clip: 'my-clip.mp4', source: 'upload' }) })).json();
      const failed = await until('run failed', async () => {
        const r = (await (await call(`/api/replay/runs/${run.id}`)).json()).run;
        return r.status === 'failed' ? r : null;
      });
      expect(failed.error).toMatch(/cannot decode/);
    } finally {
      delete process.env.FAKE_REPLAY_FAIL;
    }
  });

  it('shows a replay of a truncated clip as done, with its alarms and the warning', async () => {
    process.env.FAKE_REPLAY_TRUNCATED = '1';
    try {
      const { run } = await (await call('/api/replay/runs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ clip: 'left-bag.mp4' }) })).json();
      const done = await until('run done', async () => {
        const r = (await (await call(`/api/replay/runs/${run.id}`)).json()).run;
        return r.status === 'done' || r.status === 'failed' ? r : null;
      });
      expect(done).toMatchObject({ status: 'done', error: null, alarmCount: 2 });
      expect(done.warnings).toEqual([expect.stringMatching(/looks truncated/)]);
    } finally {
      delete process.env.FAKE_REPLAY_TRUNCATED;
    }
  });

  it('checks clip names', () => {
    expect(safeClipName('a.mp4')).toBe('a.mp4');
    expect(safeClipName('a/b.mp4')).toBeNull();
    expect(safeClipName('a..mp4')).toBeNull();
    expect(safeClipName('a.txt')).toBeNull();
  });
});
