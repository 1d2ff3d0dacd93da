import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './free-port.ts';
import { VigilError } from '../errors.ts';

export interface NatsServerOptions {
  /** extra nats-server config text (authorization, accounts…), appended to the generated config */
  config?: string;
  port?: number;
  /** keep the JetStream store between restarts (default) */
  storeDir?: string;
  binary?: string;
}

/**
 * A real nats-server with JetStream on a loopback port and a temporary store.
 * Used by the demo and by tests that stop and restart the broker; restarts keep
 * the port and the store, as a real outage would.
 */
export class NatsServer {
  readonly port: number;
  readonly storeDir: string;
  readonly url: string;
  #proc: ChildProcess | null = null;
  #confFile: string;
  #ownsStore: boolean;
  #log: string[] = [];

  private constructor(port: number, storeDir: string, ownsStore: boolean, config: string) {
    this.port = port;
    this.storeDir = storeDir;
    this.url = `nats://127.0.0.1:${port}`;
    this.#ownsStore = ownsStore;
    this.#confFile = path.join(storeDir, 'nats.conf');
    mkdirSync(storeDir, { recursive: true, mode: 0o700 });
    // The config may hold credentials (the demo's authorization block): owner-only.
    writeFileSync(this.#confFile, `listen: 127.0.0.1:${port}\nmax_payload: 1MB\njetstream {\n  store_dir: ${JSON.stringify(path.join(storeDir, 'js'))}\n}\n${config}\n`, { mode: 0o600 });
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const port = options.port ?? (await freePort());
    const ownsStore = !options.storeDir;
    const storeDir = options.storeDir ?? mkdtempSync(path.join(tmpdir(), 'vigil-nats-'));
    const srv = new NatsServer(port, storeDir, ownsStore, options.config ?? '');
    await srv.startProcess(options.binary);
    return srv;
  }

  get running(): boolean { return this.#proc !== null && this.#proc.exitCode === null; }
  get pid(): number | null { return this.#proc?.pid ?? null; }
  #exitListeners: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
  /** Called whenever the server process exits, whether stopped, killed or crashed. */
  onExit(fn: (code: number | null, signal: NodeJS.Signals | null) => void): void { this.#exitListeners.push(fn); }
  get log(): readonly string[] { return this.#log; }

  async startProcess(binary = process.env.NATS_SERVER_BIN ?? 'nats-server'): Promise<void> {
    if (this.running) return;
    const proc = spawn(binary, ['-c', this.#confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#proc = proc;
    proc.once('exit', (code, signal) => {
      if (this.#proc === proc) this.#proc = null;
      for (const fn of this.#exitListeners) fn(code, signal);
    });
    const keep = (b: Buffer) => { this.#log.push(...b.toString().split('\n').filter(Boolean)); this.#log = this.#log.slice(-50); };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const failed = new Promise<never>((_, reject) => {
      proc.once('error', (err) => reject(new VigilError('NATS_SERVER', `cannot start ${binary}: ${err.message} (install it: apt-get install -y nats-server)`, { cause: err })));
      proc.once('exit', (code) => reject(new VigilError('NATS_SERVER', `nats-server exited with ${code}: ${this.#log.slice(-5).join(' | ')}`)));
    });
    // Only the race below observes `failed`; once the port is open a later exit is reported through onExit.
    failed.catch(() => undefined);
    await Promise.race([waitForPort(this.port, 15_000), failed]);
  }

  /** Stops the server; SIGKILL simulates a crash, SIGTERM a clean shutdown. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) { this.#proc = null; return; }
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    this.#proc = null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.startProcess();
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.#ownsStore) rmSync(this.storeDir, { recursive: true, force: true });
  }
}
