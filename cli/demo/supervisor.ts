import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

/**
 * Keeps a child process running: restarts it with backoff when it dies, as a
 * process manager would in production. The demo runs hub and edge this way so
 * that killing either one is a recoverable fault, not the end of the demo.
 */
export interface SupervisedProcess {
  readonly name: string;
  readonly pid: number | null;
  readonly restarts: number;
  /** SIGTERM, then SIGKILL after graceMs; no restart afterwards */
  stop(graceMs?: number): Promise<void>;
}

export interface SuperviseOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr go here */
  logFile: string;
  onStart?: (pid: number, restarts: number) => void;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  /** lines of stdout are also handed here (the hub prints its URL) */
  onStdoutLine?: (line: string) => void;
}

export function supervise(options: SuperviseOptions): SupervisedProcess {
  let child: ChildProcess | null = null;
  let stopped = false;
  let restarts = 0;
  let delay = 500;
  let timer: NodeJS.Timeout | null = null;
  const log: WriteStream = createWriteStream(options.logFile, { flags: 'a' });
  // A child's last output can arrive after its 'exit' (and after stop() ended the log):
  // writing to an ended stream would raise an unhandled 'error' and take the demo down.
  const write = (b: Buffer | string) => { if (!log.writableEnded) log.write(b); };
  /** resolves when the latest child's pipes are drained ('close' comes after 'exit') */
  let drained: Promise<void> = Promise.resolve();

  const start = () => {
    if (stopped) return;
    const startedAt = Date.now();
    const p = spawn(options.command, options.args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = p;
    drained = new Promise((resolve) => p.once('close', () => resolve()));
    let buf = '';
    p.stdout?.on('data', (b: Buffer) => {
      write(b);
      if (!options.onStdoutLine) return;
      buf += b.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) { options.onStdoutLine(buf.slice(0, i)); buf = buf.slice(i + 1); }
    });
    p.stderr?.on('data', (b: Buffer) => write(b));
    p.on('error', (err) => write(`supervisor: ${options.name} failed to start: ${err.message}\n`));
    if (p.pid) options.onStart?.(p.pid, restarts);
    p.on('exit', (code, signal) => {
      child = null;
      options.onExit?.(code, signal);
      if (stopped) return;
      // A process that ran a while gets a quick restart; one that dies at once backs off.
      delay = Date.now() - startedAt > 30_000 ? 500 : Math.min(delay * 2, 10_000);
      write(`supervisor: ${options.name} exited (code ${code}, signal ${signal}); restarting in ${delay} ms\n`);
      restarts++;
      timer = setTimeout(start, delay);
    });
  };
  start();

  return {
    name: options.name,
    get pid() { return child?.pid ?? null; },
    get restarts() { return restarts; },
    async stop(graceMs = 15_000) {
      stopped = true;
      if (timer) clearTimeout(timer);
      const p = child;
      if (p && p.exitCode === null && p.signalCode === null) {
        const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
        p.kill('SIGTERM');
        const kill = setTimeout(() => p.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(kill);
      }
      // Its last lines belong in the log; a grandchild holding the pipes open must not hold up the stop.
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise<void>((resolve) => { wait = setTimeout(resolve, 2_000); })]);
      clearTimeout(wait);
      await new Promise<void>((resolve) => log.end(() => resolve()));
    },
  };
}
