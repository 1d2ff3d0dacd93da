import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type { Severity } from '../../../common/alarm.ts';
import { Outbox, OutboxFullError, type OutboxStatus } from '../../../edge/sink/outbox.ts';

const entry = (id: string, severity: Severity, snapshot = false) => ({
  id, subject: `vigil.alarm.s1.cam1.crowd.density`, severity, payload: new TextEncoder().encode(`{"id":"${id}"}`),
  ...(snapshot ? { snapshot: { name: `s1/cam1/${id}.jpg`, jpeg: new Uint8Array([0xff, 0xd8, 1, 2, 3]) } } : {}),
});

function collect(outbox: Outbox): OutboxStatus[] {
  const events: OutboxStatus[] = [];
  void (async () => { for await (const e of outbox.status()) events.push(e); })();
  return events;
}
const tick = () => new Promise((r) => setTimeout(r, 10));

describe('Outbox', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'vigil-outbox-')); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  it('uses WAL with synchronous=FULL and keeps alarms and snapshots across a reopen', async () => {
    const file = path.join(dir, 'o.db');
    const a = new Outbox({ file });
    await Promise.all([a.put(entry('alarm-0001', 'warning', true)), a.put(entry('alarm-0002', 'critical'))]);
    a.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
    const b = new Outbox({ file });
    expect(b.depth).toBe(2);
    const rows = b.due(0, 10);
    expect(rows.map((r) => r.id)).toEqual(['alarm-0001', 'alarm-0002']);
    expect(rows[0]!.snapshotName).toBe('s1/cam1/alarm-0001.jpg');
    expect([...b.snapshotJpeg('alarm-0001')!]).toEqual([0xff, 0xd8, 1, 2, 3]);
    b.ack(['alarm-0001']);
    expect(b.depth).toBe(1);
    expect(b.snapshotJpeg('alarm-0001')).toBeNull();
    b.close();
  });

  it('belongs to one process: a second opener gets a clear error', () => {
    const file = path.join(dir, 'o.db');
    const a = new Outbox({ file });
    expect(() => new Outbox({ file })).toThrow(/in use by another process/);
    a.close();
    new Outbox({ file }).close();
  });

  it('is idempotent on alarm id', async () => {
    const o = new Outbox({ file: path.join(dir, 'o.db') });
    await o.put(entry('alarm-0001', 'info'));
    await o.put(entry('alarm-0001', 'info'));
    expect(o.depth).toBe(1);
    o.close();
  });

  it('when full drops info first, then the oldest warning, never a critical, and reports it', async () => {
    const o = new Outbox({ file: path.join(dir, 'o.db'), maxRows: 4 });
    const events = collect(o);
    await Promise.all([o.put(entry('info-0001', 'info')), o.put(entry('warn-0001', 'warning')), o.put(entry('warn-0002', 'warning')), o.put(entry('crit-0001', 'critical'))]);
    // a warning evicts the info
    await o.put(entry('warn-0003', 'warning'));
    // a critical evicts the oldest warning
    await o.put(entry('crit-0002', 'critical'));
    // an info outranked by everything held is refused
    await expect(o.put(entry('info-0002', 'info'))).rejects.toBeInstanceOf(OutboxFullError);
    expect(o.due(0, 10).map((r) => r.id)).toEqual(['warn-0002', 'crit-0001', 'warn-0003', 'crit-0002']);
    // fill with criticals: warnings go, then new warnings are refused, criticals still accepted
    await o.put(entry('crit-0003', 'critical'));
    await o.put(entry('crit-0004', 'critical'));
    await expect(o.put(entry('warn-0004', 'warning'))).rejects.toThrow(/outbox full/);
    await o.put(entry('crit-0005', 'critical'));
    expect(o.stats().bySeverity).toEqual({ info: 0, warning: 0, critical: 5 });
    await tick();
    const dropped = events.filter((e) => e.type === 'dropped');
    expect(dropped).toEqual([
      { type: 'dropped', id: 'info-0001', severity: 'info', reason: 'evicted' },
      { type: 'dropped', id: 'warn-0001', severity: 'warning', reason: 'evicted' },
      { type: 'dropped', id: 'info-0002', severity: 'info', reason: 'refused' },
      { type: 'dropped', id: 'warn-0002', severity: 'warning', reason: 'evicted' },
      { type: 'dropped', id: 'warn-0003', severity: 'warning', reason: 'evicted' },
      { type: 'dropped', id: 'warn-0004', severity: 'warning', reason: 'refused' },
    ]);
    expect(events.some((e) => e.type === 'full')).toBe(true);
    expect(o.stats().dropped).toBe(6);
    o.close();
  });

  it('reports disk pressure as a warning and its clearing', async () => {
    const o = new Outbox({ file: path.join(dir, 'o.db'), maxDbBytes: 64 * 1024, minFreeBytes: 0 });
    const events = collect(o);
    expect(o.checkDisk()).toBeNull();
    const big = new Uint8Array(200 * 1024);
    await o.put({ ...entry('alarm-0001', 'warning'), snapshot: { name: 'x.jpg', jpeg: big } });
    expect(o.checkDisk()).toMatch(/outbox database \d+ B over 65536 B/);
    await tick();
    expect(events.find((e) => e.type === 'disk')).toMatchObject({ type: 'disk', warning: true });
    expect(o.stats().diskWarning).toMatch(/over/);
    // once delivered, the space is free for reuse and the warning clears
    o.ack(['alarm-0001']);
    expect(o.checkDisk()).toBeNull();
    await tick();
    expect(events.filter((e) => e.type === 'disk').map((e) => (e as { warning: boolean }).warning)).toEqual([true, false]);
    o.close();
    const tight = new Outbox({ file: path.join(dir, 'o2.db'), minFreeBytes: Number.MAX_SAFE_INTEGER });
    expect(tight.checkDisk()).toMatch(/free space/);
    tight.close();
  });

  it('postpones failed rows and makes them due again when the link returns', async () => {
    const o = new Outbox({ file: path.join(dir, 'o.db') });
    await o.put(entry('alarm-0001', 'warning'));
    o.retryAt('alarm-0001', Date.now() + 60_000);
    expect(o.due(0, 10)).toEqual([]);
    expect(o.msUntilRetry()).toBeGreaterThan(50_000);
    o.retryAllNow();
    expect(o.due(0, 10).map((r) => [r.id, r.attempts])).toEqual([['alarm-0001', 1]]);
    o.close();
  });

  it('reports an alarm held beyond the duplicate window once, and still sends it', async () => {
    let now = 1_000_000;
    const o = new Outbox({ file: path.join(dir, 'o.db'), maxHoldMs: 60_000, now: () => now });
    const events = collect(o);
    await o.put(entry('alarm-0001', 'critical'));
    now += 30_000;
    expect(o.due(0, 10)).toHaveLength(1);
    o.setMaxHoldMs(10_000); // the stream's window, read back at connect
    expect(o.due(0, 10)).toHaveLength(1);
    expect(o.due(0, 10)).toHaveLength(1);
    await tick();
    expect(events.filter((e) => e.type === 'held-too-long')).toEqual([{ type: 'held-too-long', id: 'alarm-0001', ageMs: 30_000, holdMs: 10_000 }]);
    expect(o.stats().oldestAgeMs).toBe(30_000);
    o.close();
  });

  it('refuses bad options naming the field', () => {
    expect(() => new Outbox({ file: path.join(dir, 'o.db'), maxRows: 0 })).toThrow(/outbox.maxRows/);
  });
});
