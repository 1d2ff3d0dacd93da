import { spawn, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { stringify as toYaml } from 'yaml';
import { newAlarmId, type Alarm } from '../../common/alarm.ts';
import { freePort } from '../../common/proc/free-port.ts';
import { seededRandom } from '../../common/seeded-random.ts';
import { NatsServer } from '../../common/proc/nats-server.ts';
import { connectNats } from '../../common/transport/nats-connect.ts';
import { ensureAlarmStream, ensureSnapshotBucket } from '../../common/transport/alarm-stream.ts';
import { hashPassword } from '../../hub/auth/password.ts';
import { startSimCamera, type SimCamera } from '../../fixtures/sim-camera/sim-camera.ts';
import { connectOnvif } from '../../edge/onvif/onvif-connection.ts';
import { silentLogger } from '../../common/log.ts';

/**
 * Hostile input against a running edge and hub (`vigil edge`, `vigil hub`,
 * each its own process): random and mutated SOAP replies from an ONVIF camera
 * (through a mutating proxy), WS-Discovery datagrams, alarm messages on the
 * stream and on core NATS, heartbeats, sensor readings (webhook and NATS),
 * unit acks and hub API requests. Afterwards both processes must still be
 * running, answer /health, and carry a genuine alarm from a sensor to the
 * hub's store. Seeded, so a failure can be replayed.
 * Used by test/security/fuzz.test.ts and `vigil bench` (security.fuzz).
 */
export interface FuzzFigures {
  seed: number;
  messages: number;
  byTarget: Record<string, number>;
  /** unexpected exits of the edge or hub process */
  crashes: number;
  /** after the fuzz: health of each, and whether a genuine sensor alarm reached the hub's store */
  after: { hubHealth: number; edgeHealth: number; genuineAlarmStored: boolean; edgeUp: boolean; hubUp: boolean };
  /** the last log lines of a process that exited, for the report */
  exits: string[];
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VTEST = path.join(ROOT, 'fixtures/.cache/vtest.avi');

const JUNK = ['%E0%A4%A', '%', '\u0000', '\uFFFF', '\uD800', '<', '>', '&', '&amp;', ']]>', '"', "'", '\\', '../../etc/passwd', '${jndi:x}', '__proto__', 'constructor', '-1', 'NaN', '1e309', '9'.repeat(400), 'é'.repeat(50), '\r\n\r\n', '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>', '<x>'.repeat(300)];

export function mutator(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const bytes = (n: number) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = int(256); return b; };

  function text(s: string): string {
    if (!s.length) return pick(JUNK);
    const i = int(s.length);
    const j = Math.min(s.length, i + 1 + int(64));
    switch (int(9)) {
      case 0: return s.slice(0, i);
      case 1: return s.slice(0, i) + pick(JUNK) + s.slice(i);
      case 2: return s.slice(0, i) + s.slice(j);
      case 3: return s.slice(0, j) + s.slice(i, j).repeat(1 + int(50)) + s.slice(j);
      case 4: { const c = s.split(''); for (let k = 0; k < 1 + int(8); k++) c[int(c.length)] = String.fromCharCode(int(0x10000)); return c.join(''); }
      case 5: return s.replace(/\d+(\.\d+)?/g, () => pick(['-1', '0', '1e309', 'NaN', '99999999999999999999', '-0.0001']));
      case 6: return s.replace(/<(\/?)([A-Za-z:]+)/g, (m, slash, tag) => (rand() < 0.2 ? `<${slash}${tag}X` : m));
      case 7: return `${'<a>'.repeat(200 + int(2000))}${s}`;
      default: return new TextDecoder('utf-8', { fatal: false }).decode(bytes(1 + int(512)));
    }
  }

  function value(v: unknown, depth = 0): unknown {
    if (depth > 6 || rand() < 0.15) {
      switch (int(9)) {
        case 0: return null;
        case 1: return pick(JUNK);
        case 2: return -1e308 * (rand() < 0.5 ? 1 : -1);
        case 3: return [];
        case 4: return {};
        case 5: return 'x'.repeat(int(70_000));
        case 6: return Array.from({ length: int(2000) }, (_, k) => k);
        case 7: { let o: unknown = 1; for (let k = 0; k < 100 + int(500); k++) o = { o }; return o; }
        default: return rand() < 0.5;
      }
    }
    if (Array.isArray(v)) return v.map((x) => value(x, depth + 1)).concat(rand() < 0.2 ? [value(undefined, depth + 1)] : []);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (rand() > 0.1) out[rand() < 0.05 ? pick(JUNK) : k] = rand() < 0.3 ? value(x, depth + 1) : x;
      if (rand() < 0.2) out[pick(JUNK)] = value(undefined, depth + 1);
      return out;
    }
    if (typeof v === 'string') return rand() < 0.5 ? text(v) : pick(JUNK);
    if (typeof v === 'number') return pick([0, -1, 1e309, -v, v * 1e6, 0.5, Number.MAX_SAFE_INTEGER + 2]);
    return value(null, depth + 1);
  }

  /** A message body: mostly a mutated valid one, sometimes broken JSON, sometimes noise. */
  function json(valid: unknown): Uint8Array {
    const r = rand();
    if (r < 0.1) return bytes(int(2048));
    let s: string;
    try { s = JSON.stringify(value(valid)) ?? 'null'; } catch { s = '{'; }
    if (r < 0.35) s = text(s);
    return new TextEncoder().encode(s);
  }
  return { int, pick, bytes, text, value, json };
}

interface Proc { child: ChildProcess; log: string[]; exited: boolean; expectedExit: boolean }

function run(args: string[], env: Record<string, string>, onExit: (p: Proc) => void): Proc {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/vigil.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIGIL_LOG_LEVEL: 'warn', ...env } });
  const p: Proc = { child, log: [], exited: false, expectedExit: false };
  const keep = (b: Buffer) => { p.log.push(...b.toString().split('\n').filter(Boolean)); if (p.log.length > 40) p.log.splice(0, p.log.length - 40); };
  child.stderr!.on('data', keep);
  child.once('exit', () => { p.exited = true; if (!p.expectedExit) onExit(p); });
  return p;
}

async function stopProc(p: Proc): Promise<void> {
  if (p.exited) return;
  p.expectedExit = true;
  const gone = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(t);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A raw request: the path is sent as given (junk included), not normalised by a URL parser. */
async function httpRequest(url: string, init: { method: string; headers?: Record<string, string>; body?: Uint8Array | string; timeoutMs?: number }): Promise<number> {
  const m = /^http:\/\/([^/:]+):(\d+)(\/.*)?$/s.exec(url);
  if (!m) return -3;
  return new Promise((resolve) => {
    let req: http.ClientRequest;
    try {
      req = http.request({ host: m[1], port: Number(m[2]), path: m[3] ?? '/', method: init.method, headers: init.headers, timeout: init.timeoutMs ?? 5_000 }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      });
    } catch {
      // Node refuses to send some paths at all (unescaped characters): nothing reached the server.
      resolve(-3);
      return;
    }
    req.once('timeout', () => { req.destroy(); resolve(-1); });
    req.once('error', () => resolve(-2));
    if (init.body !== undefined) req.end(init.body); else req.end();
  });
}

/** Sits between the edge and the simulated camera and spoils most of what the camera says. */
async function mutatingSoapProxy(camera: SimCamera, m: ReturnType<typeof mutator>, count: () => void): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const fwd = http.request({ host: camera.host, port: camera.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        const upChunks: Buffer[] = [];
        up.on('data', (c: Buffer) => upChunks.push(c));
        up.on('end', () => {
          let reply = Buffer.concat(upChunks).toString('utf8');
          let status = up.statusCode ?? 200;
          // The stream URI is always spoiled: the fuzz is about the SOAP parser, not about decoding video.
          const mutate = /GetStreamUri/.test(body.toString()) || m.int(10) < 4;
          if (mutate) {
            count();
            reply = m.text(reply);
            if (m.int(10) === 0) status = m.pick([200, 400, 401, 500, 503]);
          }
          res.writeHead(status, { 'content-type': m.int(10) === 0 ? 'text/html' : 'application/soap+xml; charset=utf-8' });
          res.end(reply);
        });
        up.on('error', () => res.destroy());
      });
      fwd.on('error', () => res.destroy());
      fwd.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

const probeMatches = (relatesTo: string, name: string, xaddr: string) =>
  '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery">' +
  `<s:Header><a:RelatesTo>${relatesTo}</a:RelatesTo></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:fuzz-${name}</a:Address></a:EndpointReference>` +
  `<d:Scopes>onvif://www.onvif.org/name/${name} onvif://www.onvif.org/hardware/x</d:Scopes><d:XAddrs>${xaddr}</d:XAddrs></d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`;

/** Answers the edge's WS-Discovery probe with a storm of datagrams, genuine-looking and not. */
async function hostileDiscovery(m: ReturnType<typeof mutator>, count: () => void): Promise<{ port: number; storm(n: number): Promise<void>; close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  let target: { port: number; address: string; id: string } | null = null;
  sock.on('message', (msg, rinfo) => { target = { port: rinfo.port, address: rinfo.address, id: /MessageID>([^<]+)</.exec(msg.toString())?.[1] ?? '' }; });
  sock.on('error', () => undefined);
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return {
    port: sock.address().port,
    async storm(n) {
      for (let i = 0; i < n && target; i++) {
        const t = target as { port: number; address: string; id: string };
        const valid = probeMatches(m.int(3) ? t.id : m.pick(['', 'urn:uuid:other', t.id.slice(0, -1)]), m.pick(['%E0%A4%A', 'cam', '%', '%%%', 'a%2']), m.pick(['http://127.0.0.1:1/onvif', 'javascript:x', '::::', 'http://[::1', '']));
        const datagram = m.int(4) === 0 ? m.bytes(1 + m.int(60_000)) : Buffer.from(m.int(2) ? m.text(valid) : valid);
        count();
        await new Promise<void>((r) => sock.send(datagram, t.port, t.address, () => r()));
        if (i % 50 === 0) await sleep(1);
      }
    },
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}

function validAlarm(site: string): Alarm {
  return {
    v: 1, id: newAlarmId(), kind: 'crowd.density', state: 'raised', severity: 'warning', site, camera: 'cam1', zone: 'hall', episode: 'ep-1',
    capturedAt: new Date().toISOString(), mediaTime: 1, edge: 'edge1',
    crowd: { count: 40, density: 2.5, los: 'E', method: 'detections', confidence: 0.9, trendPerMin: 0.1, etaNextThresholdS: null, level: 'warning', threshold: 2, areaM2: 20 },
  };
}

export async function fuzzEdgeAndHub(o: { messages?: number; seed?: number; log?: (m: string) => void } = {}): Promise<FuzzFigures> {
  const seed = o.seed ?? 12;
  const total = o.messages ?? 4_000;
  const m = mutator(seededRandom(seed));
  const byTarget: Record<string, number> = {};
  const count = (t: string) => () => { byTarget[t] = (byTarget[t] ?? 0) + 1; };
  let crashes = 0;
  const exits: string[] = [];
  const onExit = (name: string) => (p: Proc) => { crashes++; exits.push(`${name} exited (${p.child.exitCode ?? p.child.signalCode}): ${p.log.slice(-5).join(' | ')}`); };

  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-fuzz-'));
  const nats = await NatsServer.start();
  const nc: NatsConnection = await connectNats({ servers: [nats.url], retryFirstConnect: false });
  let camera: SimCamera | null = null;
  let proxy: Awaited<ReturnType<typeof mutatingSoapProxy>> | null = null;
  let udp: Awaited<ReturnType<typeof hostileDiscovery>> | null = null;
  const procs: Proc[] = [];
  try {
    await ensureAlarmStream(await jetstreamManager(nc), { duplicateWindowMs: 120_000 });
    await ensureSnapshotBucket(nc);
    // The camera's stream is never opened (the proxy spoils every stream URI), so any file will do without vtest.
    camera = await startSimCamera({ video: existsSync(VTEST) ? VTEST : fileURLToPath(import.meta.url), events: [{ atMs: 200, topic: 'motion', state: true }, { atMs: 400, topic: 'input', input: 'DIN1', state: true }], repeatEveryMs: 600, maxPullWaitMs: 300 });
    proxy = await mutatingSoapProxy(camera, m, count('soap'));
    udp = await hostileDiscovery(m, count('udp'));
    const token = 'fuzz-sensor-token-0123456789';
    const siteFile = path.join(dir, 'site.yaml');
    writeFileSync(siteFile, toYaml({
      site: { id: 'fz', name: 'Fuzz' },
      cameras: [{ id: 'cam1', source: { onvif: { host: '127.0.0.1', port: proxy.port, events: true } }, zones: [{ id: 'hall', polygon: [[0, 0], [100, 0], [100, 100]], areaM2: 50 }] }],
      sensors: [
        { id: 'panic1', type: 'panic', via: 'webhook', token: { env: 'VIGIL_FUZZ_TOKEN' }, severity: 'critical' },
        { id: 'door1', type: 'door', via: 'nats' },
      ],
      units: [{ id: 'u1', name: 'Unit 1', members: [1, 2, 3, 4, 5].map((i) => ({ id: `m${i}`, name: `M ${i}` })), position: { x: 1, y: 1 } }],
    }));
    const edgePort = await freePort();
    const edgeFile = path.join(dir, 'edge.yaml');
    writeFileSync(edgeFile, toYaml({
      edge: { id: 'edge1', site: siteFile, workers: 1, http: { port: edgePort }, outbox: { path: path.join(dir, 'outbox.db'), reserveMB: 1, minFreeMB: 1 }, heartbeatMs: 500, discovery: { enabled: true, addresses: [`127.0.0.1:${udp.port}`], timeoutMs: 60_000 } },
      nats: { servers: [nats.url] },
    }));
    const hubPort = await freePort();
    const hubFile = path.join(dir, 'hub.yaml');
    const hash = await hashPassword('fuzz-operator-pw', { N: 16384, r: 8, p: 1 });
    writeFileSync(hubFile, toYaml({
      http: { host: '127.0.0.1', port: hubPort }, database: { sqlite: path.join(dir, 'hub.db') }, nats: { servers: [nats.url] }, sites: [siteFile],
      jwt: { secret: 'fuzz-secret-that-is-long-enough-0123456789' },
      users: [{ name: 'olga', role: 'operator', passwordHash: hash }],
      dispatch: { rules: [{ kind: '*', units: 0 }] }, drills: { enabled: false },
    }));
    const hubProc = run(['hub', '--config', hubFile], {}, onExit('hub'));
    procs.push(hubProc);
    const hubUrl = await new Promise<string>((resolve, reject) => {
      createInterface({ input: hubProc.child.stdout! }).on('line', (l) => { try { const v = JSON.parse(l) as { hub?: string }; if (v.hub) resolve(v.hub); } catch { /* a log line */ } });
      hubProc.child.once('exit', () => reject(new Error(`hub did not start: ${hubProc.log.join(' | ')}`)));
    });
    const edgeProc = run(['edge', '--config', edgeFile], { VIGIL_FUZZ_TOKEN: token }, onExit('edge'));
    procs.push(edgeProc);
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    for (let i = 0; i < 600 && (await httpRequest(`${edgeUrl}/health`, { method: 'GET' })) !== 200; i++) {
      if (edgeProc.exited) throw new Error(`edge did not start: ${edgeProc.log.join(' | ')}`);
      await sleep(100);
    }
    o.log?.(`fuzz: hub ${hubUrl}, edge ${edgeUrl}`);

    const js = jetstream(nc);
    const alarmSample = validAlarm('fz');
    const heartbeat = { v: 1, site: 'fz', edge: 'edge1', at: new Date().toISOString(), uptimeS: 1, cameras: [{ id: 'cam1', state: 'ok', fps: 2 }], outbox: { depth: 0, oldestAgeMs: 0, dropped: 0 }, warnings: [], zones: [{ camera: 'cam1', zone: 'hall', count: 1, density: 0.1, los: 'A', method: 'detections', trendPerMin: 0 }] };
    const reading = { state: 'active', value: 1, payload: { a: 1 }, at: new Date().toISOString() };
    const apiPaths = ['/api/login', '/api/alarms', '/api/incidents', '/api/incidents/x/transition', '/api/stream', '/api/stream?ticket=x', '/api/token/refresh', '/api/logout', '/api/live/cameras', '/api/snapshots/vigil-snapshots/fz/cam1/x.jpg', '/api/replay/uploads?name=a.mp4', '/health', '/metrics', '/%2e%2e/%2e%2e/etc/passwd', '/api/units/u1/status', '/api/dispatches/x/ack', '/api/sites/fz/plan'];
    const loginBody = { name: 'olga', password: 'guess' };

    // The edge's own ONVIF client reconnects with backoff, so it sees a few dozen spoiled replies a
    // minute; the same client code is also driven here, in this process, through the same proxy.
    // A throw out of its callbacks would be an uncaught exception: counted as a crash.
    const uncaught = (err: unknown) => { crashes++; exits.push(`uncaught in the ONVIF client: ${(err as Error)?.stack ?? String(err)}`); };
    process.on('uncaughtException', uncaught);
    let soapDone = false;
    const soapClients = Promise.all(Array.from({ length: 6 }, async (_, w) => {
      for (let k = w; k < Math.ceil(total / 40) && !soapDone; k += 6) {
        try {
          const c = await connectOnvif({ host: '127.0.0.1', port: proxy!.port, camera: `fuzz-${k}`, logger: silentLogger, timeoutMs: 800 });
          await c.createPullPoint();
          await c.pullMessages();
          await c.renew();
          await c.unsubscribe();
        } catch {
          // Refused as it should be: an OnvifError naming the camera.
        }
      }
    }));

    // Interleaved, in rounds, so that every surface is under fire at once.
    const per = Math.max(1, Math.floor(total / 10));
    const rounds = 20;
    for (let r = 0; r < rounds; r++) {
      const n = Math.ceil(per / rounds);
      const jobs: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) {
        // Alarm stream (what ingest sees): mutated alarms, on their subject or another site's.
        const subject = m.pick(['vigil.alarm.fz.cam1.crowd.density', 'vigil.alarm.other.cam1.camera.offline', 'vigil.alarm.fz.cam1.sensor.panic', 'vigil.alarm.fz.x.y.z']);
        jobs.push(js.publish(subject, m.json(alarmSample), m.int(3) ? { msgID: `fz-${r}-${i}-${m.int(1e9)}` } : {}).then(count('alarm.stream'), count('alarm.stream')));
        // Core NATS (what the live view sees), heartbeats, sensor readings, unit acks.
        nc.publish(m.pick(['vigil.alarm.fz.cam1.camera.offline', 'vigil.alarm.fz.cam9.crowd.density']), m.json(alarmSample)); count('alarm.core')();
        nc.publish(m.pick(['vigil.health.fz.edge1', 'vigil.health.fz.other', 'vigil.health.elsewhere.edge1']), m.json(heartbeat)); count('heartbeat')();
        nc.publish(m.pick(['vigil.sensor.fz.door1', 'vigil.sensor.fz.panic1', 'vigil.sensor.fz.nope']), m.json(reading), m.int(2) ? { reply: `_INBOX.fuzz.${i}` } : {}); count('sensor.nats')();
        jobs.push(nc.request(m.pick(['vigil.dispatch.u1.ack', 'vigil.dispatch.nope.ack']), m.json({ dispatchId: 'x', status: 'acknowledged' }), { timeout: 2000 }).then(count('unit.ack'), count('unit.ack')));
      }
      for (let i = 0; i < n; i++) {
        // Sensor webhook: bodies, tokens, headers.
        jobs.push(httpRequest(`${edgeUrl}/sensors/${m.pick(['panic1', 'door1', '..%2f..', 'x'.repeat(300)])}/readings`, {
          method: m.pick(['POST', 'POST', 'PUT', 'GET']),
          headers: { 'content-type': m.pick(['application/json', 'text/plain', '']), authorization: m.pick([`Bearer ${token}`, 'Bearer wrong', 'Basic x', `Bearer ${m.text(token)}`, '']) },
          body: m.json(reading),
        }).then(count('sensor.webhook')));
        // Hub API.
        jobs.push(httpRequest(`${hubUrl}${m.int(4) ? m.pick(apiPaths) : m.text(m.pick(apiPaths))}`.replace(/[\s\u0000-\u001f\u007f-\uffff]/g, 'x'), {
          method: m.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']),
          headers: { 'content-type': m.pick(['application/json', 'text/plain', 'multipart/form-data']), authorization: m.pick(['', 'Bearer x.y.z', `Bearer ${m.text('eyJhbGciOiJub25lIn0.eyJzdWIiOiJvbGdhIn0.')}`, 'Bearer']), origin: m.pick(['https://evil.example', '']) },
          body: m.json(loginBody),
        }).then(count('hub.http')));
      }
      await Promise.all(jobs);
      await udp.storm(Math.ceil(per / rounds) * 2);
      if (edgeProc.exited || hubProc.exited) break;
    }
    await soapClients.finally(() => { soapDone = true; });
    // Late callbacks of the package would land here.
    await sleep(500);
    process.off('uncaughtException', uncaught);

    // Still up, and still doing the job: a genuine panic reaches the hub's store.
    const edgeHealth = await httpRequest(`${edgeUrl}/health`, { method: 'GET' });
    const hubHealth = await httpRequest(`${hubUrl}/health`, { method: 'GET' });
    // The fuzz may have left the button pressed or released: release, then press, and follow the alarm that makes.
    let sent: string | null = null;
    for (const state of ['inactive', 'active']) {
      const r = await fetch(`${edgeUrl}/sensors/panic1/readings`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ state }) }).catch(() => null);
      const id = r?.status === 202 ? ((await r.json()) as { alarm?: { id: string } | null }).alarm?.id : undefined;
      if (id) sent = id;
    }
    let genuineAlarmStored = false;
    if (sent) {
      // Read from the hub's store itself: the fuzz has long since locked every login from here.
      const db = new Database(path.join(dir, 'hub.db'), { readonly: true, fileMustExist: true });
      try {
        const find = db.prepare('SELECT 1 FROM alarms WHERE id = ?');
        for (let i = 0; i < 150 && !genuineAlarmStored; i++) {
          genuineAlarmStored = find.get(sent) !== undefined;
          if (!genuineAlarmStored) await sleep(200);
        }
      } finally {
        db.close();
      }
    }
    const messages = Object.values(byTarget).reduce((a, b) => a + b, 0);
    return { seed, messages, byTarget, crashes, exits, after: { hubHealth, edgeHealth, genuineAlarmStored, edgeUp: !edgeProc.exited, hubUp: !hubProc.exited } };
  } finally {
    for (const p of procs) await stopProc(p);
    await udp?.close();
    await proxy?.close();
    await camera?.stop();
    await nc.close();
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
