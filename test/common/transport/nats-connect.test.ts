import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServer } from '../../../common/proc/nats-server.ts';
import { freePort } from '../../../common/proc/free-port.ts';
import { connectNats, linkStatus, type LinkStatus } from '../../../common/transport/nats-connect.ts';
import { TransportError } from '../../../common/errors.ts';
import { createBackoff } from '../../../common/transport/backoff.ts';
import { natsConfigSchema, natsConnectOptions } from '../../../common/config/nats.ts';
import { createNkeyUser, renderAuthorization } from '../../../common/transport/nats-auth.ts';

describe('createBackoff', () => {
  it('grows exponentially to the cap, with jitter inside bounds', () => {
    const b = createBackoff({ initialMs: 100, maxMs: 1_000, jitter: 0.5, random: () => 1 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1_000]);
    const low = createBackoff({ initialMs: 100, maxMs: 1_000, jitter: 0.5, random: () => 0 });
    expect(low.next()).toBe(50);
    b.reset();
    expect(b.next()).toBe(100);
  });
});

describe('natsConfigSchema', () => {
  it('reads secrets from the environment and resolves TLS paths', () => {
    process.env.VIGIL_TEST_NATS_PW = 's3cret';
    const cfg = natsConfigSchema.parse({ servers: 'nats://127.0.0.1:4222', auth: { user: 'edge-a', password: { env: 'VIGIL_TEST_NATS_PW' } }, tls: { ca: 'ca.pem' } });
    const o = natsConnectOptions(cfg, '/etc/vigil/edge.yaml');
    expect(o.servers).toEqual(['nats://127.0.0.1:4222']);
    expect(o.auth).toEqual({ type: 'userpass', user: 'edge-a', pass: 's3cret' });
    expect(o.tls).toEqual({ caFile: '/etc/vigil/ca.pem' });
  });
  it('names the bad field', () => {
    const r = natsConfigSchema.safeParse({ servers: ['http://x'], tls: { cert: 'a.pem' } });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain('servers.0');
    expect(paths).toContain('tls.key');
  });
});

describe('connectNats', () => {
  let server: NatsServer;
  const nk = createNkeyUser();
  beforeAll(async () => {
    server = await NatsServer.start({
      config: renderAuthorization({
        hub: { auth: { user: 'hub', password: 'hub-pw' } },
        edges: [{ site: 's1', edge: 'e1', auth: { nkey: nk.publicKey } }, { site: 's1', edge: 'e2', auth: { user: 'e2', password: 'e2-pw' } }],
      }),
    });
  });
  afterAll(async () => { await server?.dispose(); });

  it('connects with an nkey seed read from a secret file named in the config block', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-nk-'));
    writeFileSync(path.join(dir, 'edge.nk'), nk.seed + '\n', { mode: 0o600 });
    const cfg = natsConfigSchema.parse({ servers: [server.url], auth: { nkeySeed: { file: 'edge.nk' } } });
    const nc = await connectNats({ ...natsConnectOptions(cfg, path.join(dir, 'edge.yaml'), { inboxPrefix: '_INBOX.s1.e1' }), retryFirstConnect: false });
    await nc.flush();
    await nc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with user+password and with an nkey seed', async () => {
    const a = await connectNats({ servers: [server.url], auth: { type: 'userpass', user: 'hub', pass: 'hub-pw' }, retryFirstConnect: false });
    const b = await connectNats({ servers: [server.url], auth: { type: 'nkey', seed: nk.seed }, inboxPrefix: '_INBOX.s1.e1', retryFirstConnect: false });
    await b.flush();
    await a.close();
    await b.close();
  });

  it('bad credentials: a clear TransportError that does not echo the password', async () => {
    const err = await connectNats({ servers: [server.url], auth: { type: 'userpass', user: 'e2', pass: 'wrong-pw' }, retryFirstConnect: false }).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.code).toBe('NATS_AUTH');
    expect(err.message).toMatch(/refused user "e2"/);
    expect(err.message).not.toMatch(/wrong-pw/);
  });

  it('unreachable: keeps retrying with backoff until the server appears', async () => {
    const port = await freePort();
    const failures: string[] = [];
    let late: NatsServer | null = null;
    const pending = connectNats({
      servers: [`nats://127.0.0.1:${port}`], initialDelayMs: 100, maxDelayMs: 400,
      onAttemptFailed: (e) => {
        failures.push(e.code);
        if (failures.length === 3) void NatsServer.start({ port }).then((s) => { late = s; });
      },
    });
    const nc = await pending;
    expect(failures.slice(0, 3)).toEqual(['NATS_UNREACHABLE', 'NATS_UNREACHABLE', 'NATS_UNREACHABLE']);
    await nc.close();
    await (late as NatsServer | null)?.dispose();
  });

  it('reports link down and up as typed status across a server restart', async () => {
    const nc = await connectNats({ servers: [server.url], auth: { type: 'userpass', user: 'hub', pass: 'hub-pw' }, initialDelayMs: 100, maxDelayMs: 500 });
    const seen: LinkStatus['type'][] = [];
    const done = (async () => {
      for await (const s of linkStatus(nc)) {
        seen.push(s.type);
        if (s.type === 'up') return;
      }
    })();
    await server.restart();
    await done;
    expect(seen).toContain('down');
    expect(seen.at(-1)).toBe('up');
    await nc.close();
  });
});
