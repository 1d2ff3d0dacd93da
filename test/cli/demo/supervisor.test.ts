import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { supervise } from '../../../cli/demo/supervisor.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'vigil-supervisor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo supervisor', () => {
  it('restarts a child that dies, and stops with its last words in the log', async () => {
    const logFile = path.join(dir, 'child.log');
    // Dies at once on its first life; on its second, says a long goodbye on SIGTERM (late, after a pause)
    // and exits, its last lines still in the pipe when 'exit' comes.
    const script = `
      const fs = require('node:fs'); const mark = ${JSON.stringify(path.join(dir, 'lived'))};
      if (!fs.existsSync(mark)) { fs.writeFileSync(mark, '1'); process.exit(3); }
      console.log('ready');
      process.on('SIGTERM', () => { setTimeout(() => { process.stderr.write('x'.repeat(1 << 20) + '\\ngoodbye\\n', () => process.exit(0)); }, 50); });
      setInterval(() => {}, 1000);`;
    const starts: number[] = [];
    const child = supervise({ name: 'child', command: process.execPath, args: ['-e', script], logFile, onStart: (_pid, restarts) => starts.push(restarts) });
    const read = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
    const deadline = Date.now() + 20_000;
    while (!read().includes('ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(child.restarts).toBe(1);
    expect(starts).toEqual([0, 1]);
    await child.stop(5_000);
    expect(child.pid).toBeNull();
    const log = read();
    expect(log).toMatch(/child exited \(code 3, signal null\); restarting in \d+ ms/);
    expect(log).toMatch(/goodbye/);
    // Stopping twice (the demo's normal path, then its finally) is harmless.
    await child.stop(1_000);
  }, 30_000);
});
