import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * The demo's components are killed one at a time (kill -9: nats-server, then
 * the hub, then the edge). The demo supervises them like a service manager;
 * afterwards every alarm the edge committed to its outbox must be in the hub's
 * store exactly once, and no incident may be doubled.
 */
const VIGIL = path.resolve(import.meta.dirname, '../../bin/vigil.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function acceptedIds(workdir: string): { id: string; time: number }[] {
  const f = path.join(workdir, 'edge.log');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').split('\n').filter((l) => l.includes('"alarm accepted"')).map((l) => {
    const r = JSON.parse(l) as { id: string; time: string };
    return { id: r.id, time: Date.parse(r.time) };
  });
}

async function waitFor<T>(what: string, fn: () => T | null | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

describe('vigil demo under component faults', () => {
  it('recovers from killing NATS, the hub and the edge, losing and doubling nothing', async () => {
    const demo = spawn(process.execPath, [VIGIL, 'demo', '--duration', '900', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    demo.stdout.on('data', (b) => (out += b));
    demo.stderr.on('data', (b) => (err += b));
    const exited = new Promise<number | null>((resolve) => demo.on('exit', (c) => resolve(c)));
    try {
      const workdir = await waitFor('the demo to start', () => {
        const line = out.split('\n').find((l) => l.startsWith('{"demo"'));
        return line ? (JSON.parse(line) as { demo: { workdir: string } }).demo.workdir : null;
      }, 180_000);
      const pids = () => JSON.parse(readFileSync(path.join(workdir, 'pids.json'), 'utf8')) as { hub: number; edge: number; nats: number };
      await waitFor('a first alarm', () => acceptedIds(workdir).length > 0, 120_000);

      for (const part of ['nats', 'hub', 'edge'] as const) {
        const before = pids()[part];
        process.kill(before, 'SIGKILL');
        await waitFor(`${part} to be restarted`, () => { const p = pids()[part]; return p && p !== before; }, 60_000);
        await sleep(8_000);
      }
      const lastKill = Date.now();
      // The restarted edge must produce and deliver new alarms (the camera's event script repeats every minute).
      await waitFor('an alarm after the last restart', () => acceptedIds(workdir).some((a) => a.time > lastKill), 150_000);

      demo.kill('SIGINT');
      const code = await exited;
      expect(code, err.slice(-3000)).toBe(0);
      const summary = JSON.parse(out.trim().split('\n').at(-1)!) as { alarms: number };

      const accepted = [...new Set(acceptedIds(workdir).map((a) => a.id))];
      const db = new Database(path.join(workdir, 'hub.db'), { readonly: true });
      const stored = new Set((db.prepare('SELECT id FROM alarms').all() as { id: string }[]).map((r) => r.id));
      // An alarm redelivered after a crash must not open or join a second incident.
      const doubled = db.prepare('SELECT alarm_id, count(*) AS n FROM incident_alarms GROUP BY alarm_id HAVING n > 1').all();
      const unlinked = (db.prepare('SELECT count(*) AS n FROM alarms a WHERE NOT EXISTS (SELECT 1 FROM incident_alarms ia WHERE ia.alarm_id = a.id)').get() as { n: number }).n;
      const counted = (db.prepare('SELECT coalesce(sum(alarm_count), 0) AS n FROM incidents').get() as { n: number }).n;
      db.close();
      const lost = accepted.filter((id) => !stored.has(id));
      expect(lost, `lost ${lost.length} of ${accepted.length}`).toEqual([]);
      expect(stored.size).toBe(summary.alarms);
      expect(doubled).toEqual([]);
      expect(counted + unlinked).toBe(stored.size);
    } finally {
      if (demo.exitCode === null) demo.kill('SIGKILL');
    }
  }, 600_000);
});
