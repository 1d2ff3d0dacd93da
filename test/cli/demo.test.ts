import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';

const VIGIL = path.resolve(import.meta.dirname, '../../bin/vigil.js');

/** Runs `vigil demo` to completion and returns its stdout lines. */
function runDemo(args: string[], timeoutMs: number): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [VIGIL, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b) => (out += b));
    p.stderr.on('data', (b) => (err += b));
    const t = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`demo did not finish in ${timeoutMs} ms\n${err.slice(-2000)}`)); }, timeoutMs);
    p.on('exit', (code) => { clearTimeout(t); resolve({ code, lines: out.trim().split('\n'), stderr: err }); });
  });
}

describe('vigil demo --duration', () => {
  it('raises crowd and abandoned-object alarms, an incident and a dispatch, then stops cleanly', async () => {
    const { code, lines, stderr } = await runDemo(['--duration', '90', '--port', '0'], 240_000);
    expect(code, stderr.slice(-3000)).toBe(0);
    const summary = JSON.parse(lines.at(-1)!) as { alarms: number; incidents: number; dispatches: number };
    expect(Object.keys(summary).sort()).toEqual(['alarms', 'dispatches', 'incidents']);
    expect(summary.alarms).toBeGreaterThanOrEqual(2);
    expect(summary.incidents).toBeGreaterThanOrEqual(1);
    expect(summary.dispatches).toBeGreaterThanOrEqual(1);

    const info = lines.map((l) => (l.startsWith('{"demo"') ? (JSON.parse(l) as { demo: { workdir: string } }).demo : null)).find(Boolean)!;
    const db = new Database(path.join(info.workdir, 'hub.db'), { readonly: true });
    const kinds = db.prepare("SELECT kind, count(*) AS n FROM alarms WHERE state = 'raised' GROUP BY kind").all() as { kind: string; n: number }[];
    // The default alarm policy: the panic button's critical alarm activates the plan by policy and sends units;
    // motion stays in the feed; no plan clock runs on an incident whose plan was not activated.
    const activated = db.prepare("SELECT kind, plan_level AS level, plan_activated_by AS by FROM incidents WHERE plan_activated_at_ms IS NOT NULL").all() as { kind: string; level: string; by: string }[];
    const feedOnly = (db.prepare("SELECT count(*) AS n FROM alarms WHERE outcome = 'feed' AND kind = 'sensor.motion'").get() as { n: number }).n;
    const clocksWithoutPlan = (db.prepare('SELECT count(*) AS n FROM incident_reports r JOIN incidents i ON i.id = r.incident_id WHERE i.plan_activated_at_ms IS NULL').get() as { n: number }).n;
    db.close();
    expect(activated).toContainEqual({ kind: 'sensor.panic', level: 'III', by: 'system:policy' });
    expect(feedOnly).toBeGreaterThanOrEqual(1);
    expect(clocksWithoutPlan).toBe(0);
    const byKind = Object.fromEntries(kinds.map((k) => [k.kind, k.n]));
    expect(byKind['crowd.density'] ?? 0).toBeGreaterThanOrEqual(1);
    expect(byKind['object.abandoned'] ?? 0).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
