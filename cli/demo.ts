import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { parseCli, numberFlag } from './args.ts';
import { ensureSystemTools } from './demo/system-tools.ts';
import { writeDemoWorkspace } from './demo/demo-workspace.ts';
import { supervise, type SupervisedProcess } from './demo/supervisor.ts';
import { startPanicScript, type PanicScript } from './demo/panic-script.ts';
import { untilSignal } from './signals.ts';
import { NatsServer } from '../common/proc/nats-server.ts';
import { freePort, waitForPort } from '../common/proc/free-port.ts';
import { ValidationError, VigilError } from '../common/errors.ts';
import { ALARM_STREAM } from '../common/subjects.ts';
import { DEFAULT_DURABLE as HUB_DURABLE } from '../hub/ingest/consumer.ts';
import { buildFixtures, fetchVtest } from '../fixtures/compose/build.ts';
import { DEMO_EVENTS, startSimCamera, type SimCamera } from '../fixtures/sim-camera/sim-camera.ts';

/**
 * `vigil demo [--port N] [--duration S]`: the main job on one machine.
 * NATS (JetStream, temporary store, per-role credentials), the hub (SQLite,
 * the demo site, units and logins), a simulated ONVIF camera streaming a
 * fixture clip over RTSP, and an edge that discovers it. Hub and edge run as
 * supervised child processes, so that killing one (or nats-server) is a fault
 * the demo recovers from, as it would in production.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VIGIL = path.join(ROOT, 'bin', 'vigil.js');
/** an abandoned suitcase at 8 s and pedestrians throughout: every alarm kind the demo promises within a minute */
const DEMO_CLIP = 'abandoned-suitcase-walkway';

export interface DemoSummary { alarms: number; incidents: number; dispatches: number }

export function summarise(hubDb: string): DemoSummary {
  const db = new Database(hubDb, { readonly: true, fileMustExist: true });
  try {
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { alarms: count('alarms'), incidents: count('incidents'), dispatches: count('dispatches') };
  } finally {
    db.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCli(argv, { port: { type: 'string' }, duration: { type: 'string' }, workdir: { type: 'string' } }, false);
  const duration = numberFlag(values.duration, '--duration');
  if (duration !== undefined && duration <= 0) throw new ValidationError('--duration', 'must be a positive number of seconds');
  const say = (m: string) => process.stderr.write(`demo: ${m}\n`);

  ensureSystemTools(['ffmpeg', 'ffprobe', 'nats-server'], say);
  say('preparing fixture footage (first run fetches vtest.avi through apt and composes the clips)…');
  await fetchVtest();
  const clips = await buildFixtures({ only: [DEMO_CLIP], log: (m) => say(m) });
  const clip = clips.find((c) => path.basename(c.video).startsWith(DEMO_CLIP));
  if (!clip || !existsSync(clip.video)) throw new VigilError('DEMO_FIXTURE', `fixture ${DEMO_CLIP} was not built`);

  let httpPort = numberFlag(values.port, '--port') ?? 8080;
  // --port 0 (tests) or a busy default port: any free one; an explicit busy port fails at the hub's bind.
  if (httpPort === 0 || (!values.port && !(await portFree(httpPort)))) httpPort = await freePort();
  const dir = values.workdir ? path.resolve(values.workdir) : mkdtempSync(path.join(tmpdir(), 'vigil-demo-'));

  const natsPort = await freePort();
  const edgeHttpPort = await freePort();
  let nats: NatsServer | null = null;
  let camera: SimCamera | null = null;
  const children: SupervisedProcess[] = [];
  const pids: Record<string, number | null> = {};
  const writePids = () => writeFileSync(path.join(dir, 'pids.json'), JSON.stringify({ ...pids, nats: nats?.pid ?? null }, null, 2));
  let shuttingDown = false;
  let panic: PanicScript | null = null;
  let natsRestart: NodeJS.Timeout | undefined;
  try {
    const camUser = 'admin';
    const camPassword = randomBytes(9).toString('base64url');
    // The camera also plays a script of ONVIF events (motion, a digital input), so sensor alarms show too.
    camera = await startSimCamera({ video: clip.video, loop: true, user: camUser, password: camPassword, name: 'Vigil demo camera', events: DEMO_EVENTS, repeatEveryMs: 60_000 });
    const ws = await writeDemoWorkspace({ dir, natsUrl: `nats://127.0.0.1:${natsPort}`, httpPort, edgeHttpPort, camera: { host: camera.host, port: camera.port, user: camUser, password: camPassword, discoveryPort: camera.discoveryPort } });
    const server = await NatsServer.start({ port: natsPort, storeDir: path.join(dir, 'nats'), config: ws.natsAuth });
    nats = server;
    // A crashed nats-server is restarted on the same port and store, as a service manager would: at once
    // when it had run a while, with a growing delay when it keeps dying. A restart that is still waiting
    // when the demo stops must not start a server nobody will stop.
    let natsDelay = 250;
    let natsStartedAt = Date.now();
    server.onExit(() => {
      if (shuttingDown) return;
      natsDelay = Date.now() - natsStartedAt > 30_000 ? 500 : Math.min(natsDelay * 2, 10_000);
      say('nats-server exited; restarting it');
      natsRestart = setTimeout(() => {
        if (shuttingDown) return;
        natsStartedAt = Date.now();
        server.startProcess().then(writePids, (err) => say(`nats-server restart failed: ${(err as Error).message}`));
      }, natsDelay);
    });

    let hubUrl = `http://127.0.0.1:${httpPort}`;
    const hub = supervise({
      name: 'hub', command: process.execPath, args: [VIGIL, 'hub', '--config', ws.hubFile], env: ws.env,
      logFile: path.join(dir, 'hub.log'),
      onStart: (pid) => { pids.hub = pid; writePids(); },
      onStdoutLine: (line) => { if (line.startsWith('{"hub":')) hubUrl = (JSON.parse(line) as { hub: string }).hub; },
    });
    children.push(hub);
    await waitForPort(httpPort, 120_000);
    const edge = supervise({
      name: 'edge', command: process.execPath, args: [VIGIL, 'edge', '--config', ws.edgeFile], env: ws.env,
      logFile: path.join(dir, 'edge.log'),
      onStart: (pid) => { pids.edge = pid; writePids(); },
    });
    children.push(edge);
    writePids();
    panic = startPanicScript({ edgeUrl: `http://127.0.0.1:${edgeHttpPort}`, sensor: 'panic-ticket-hall', token: ws.env.VIGIL_DEMO_SENSOR_TOKEN!, say });

    const logins = ws.logins.map((l) => `    ${l.role.padEnd(10)} ${l.name.padEnd(11)} ${l.password}`).join('\n');
    process.stdout.write(`\nVigil demo is running.\n\n  dashboard: ${hubUrl}/\n  logins:\n${logins}\n\n  camera:    ${camera.onvifUrl} (simulated ONVIF, RTSP ${camera.rtspUrl})\n  NATS:      ${server.url}\n  logs:      ${dir}/{hub,edge}.log\n\n${duration ? `Stopping after ${duration} s.` : 'Ctrl-C to stop.'}\n\n`);
    process.stdout.write(`${JSON.stringify({ demo: { url: hubUrl, workdir: dir, logins: ws.logins } })}\n`);

    if (duration) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([new Promise((r) => { timer = setTimeout(r, duration * 1000); }), untilSignal()]);
      clearTimeout(timer);
    } else {
      await untilSignal();
    }

    shuttingDown = true;
    panic?.stop();
    say('shutting down: edge, then hub, then NATS');
    // The edge first, so its last alarms reach the stream; then wait until the
    // hub has consumed them all, so the summary counts every alarm raised.
    await edge.stop(20_000);
    await waitForHubCaughtUp(server.url, { user: 'hub', pass: ws.env.VIGIL_DEMO_HUB_NATS_PASSWORD! }, 20_000, say);
    await hub.stop(20_000);
    await camera.stop();
    camera = null;
    await server.stop();
    const summary = summarise(ws.hubDb);
    say(`summary: ${summary.alarms} alarms, ${summary.incidents} incidents, ${summary.dispatches} dispatches; logs in ${dir}`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return 0;
  } finally {
    shuttingDown = true;
    panic?.stop();
    clearTimeout(natsRestart);
    await Promise.allSettled(children.map((c) => c.stop(5_000)));
    await camera?.stop().catch((err: unknown) => say(`camera stop failed: ${(err as Error).message}`));
    await nats?.stop();
  }
}

async function portFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Polls the hub's durable consumer until nothing is pending or unacknowledged. */
async function waitForHubCaughtUp(server: string, auth: { user: string; pass: string }, timeoutMs: number, say: (m: string) => void): Promise<void> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: server, ...auth, maxReconnectAttempts: 3 });
  try {
    const jsm = await jetstreamManager(nc);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await jsm.consumers.info(ALARM_STREAM, HUB_DURABLE).catch((err: Error) => { say(`hub consumer not readable: ${err.message}`); return null; });
      if (!info || (info.num_pending === 0 && info.num_ack_pending === 0)) return;
      if (Date.now() > deadline) { say(`hub still has ${info.num_pending} alarms pending after ${timeoutMs} ms`); return; }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await nc.close();
  }
}
