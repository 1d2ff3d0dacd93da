import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { NatsServer } from '../../common/proc/nats-server.ts';
import { connectNats } from '../../common/transport/nats-connect.ts';
import { ensureAlarmStream } from '../../common/transport/alarm-stream.ts';
import { ALARM_STREAM } from '../../common/subjects.ts';
import { duplicatesOf, readAlarmIds } from './fixtures/stream.ts';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'edge-publisher.ts');

function startEdge(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const committed: string[] = [];
  let done: { acked: number; duplicates: number } | null = null;
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr = (stderr + b.toString()).slice(-4_000); });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const msg = JSON.parse(line) as { committed?: string; done?: { acked: number; duplicates: number } };
    if (msg.committed) committed.push(msg.committed);
    if (msg.done) done = msg.done;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, committed, exited, get done() { return done; }, get stderr() { return stderr; } };
}

describe('kill -9 of the edge mid-publish', () => {
  let server: NatsServer;
  let dir: string;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await NatsServer.start();
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-crash-'));
    nc = await connectNats({ servers: [server.url], retryFirstConnect: false });
    await ensureAlarmStream(await jetstreamManager(nc));
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drains after restart: nothing lost, re-sent alarms rejected as duplicates', async () => {
    const file = path.join(dir, 'outbox.db');
    const jsm = await jetstreamManager(nc);
    const first = startEdge([server.url, file, '0', '3000', '--defer-acks']);
    // Kill once alarms are in the stream and the outbox still holds acknowledged ones.
    for (;;) {
      const n = (await jsm.streams.info(ALARM_STREAM)).state.messages;
      if (n >= 300 && first.committed.length >= 400) break;
      if (first.child.exitCode !== null) throw new Error(`edge exited early: ${first.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    expect(first.done).toBeNull();
    const inStreamAtKill = (await jsm.streams.info(ALARM_STREAM)).state.messages;

    // The restarted edge sends nothing new: it only drains what the outbox kept.
    const second = startEdge([server.url, file, '0', '0']);
    expect(await second.exited).toBe(0);
    const stats = second.done as { acked: number; duplicates: number } | null;
    expect(stats, second.stderr).not.toBeNull();
    expect(stats!.duplicates).toBeGreaterThan(0);

    const ids = await readAlarmIds(nc);
    expect(duplicatesOf(ids)).toEqual([]);
    const inStream = new Set(ids);
    for (const id of first.committed) expect(inStream.has(id)).toBe(true);
    // Only alarms that were committed (some perhaps just before the kill, unprinted) can be there.
    for (const id of ids) expect(id).toMatch(/^crash-\d{6}$/);
    expect(ids.length).toBeGreaterThanOrEqual(first.committed.length);
    expect(ids.length).toBeGreaterThanOrEqual(inStreamAtKill);
  }, 120_000);
});
