import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServer } from '../../../common/proc/nats-server.ts';
import { connectNats } from '../../../common/transport/nats-connect.ts';
import { natsConfigSchema, natsConnectOptions } from '../../../common/config/nats.ts';
import { TransportError } from '../../../common/errors.ts';

/** A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makePki(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=vigil-test-ca', '-keyout', 'ca-key.pem', '-out', 'ca.pem');
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=vigil-${who}`, '-keyout', `${who}-key.pem`, '-out', `${who}.csr`);
    ssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', `${who}.ext`, '-out', `${who}.pem`);
  }
}

describe('connectNats over TLS', () => {
  let dir: string;
  let server: NatsServer;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-tls-'));
    makePki(dir);
    const f = (n: string) => JSON.stringify(path.join(dir, n));
    server = await NatsServer.start({ config: `tls {\n  cert_file: ${f('server.pem')}\n  key_file: ${f('server-key.pem')}\n  ca_file: ${f('ca.pem')}\n  verify: true\n}\n` });
  }, 120_000);
  afterAll(async () => {
    await server?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects with the CA and a client certificate from the config block', async () => {
    const cfgFile = path.join(dir, 'edge.yaml');
    const cfg = natsConfigSchema.parse({ servers: `tls://127.0.0.1:${server.port}`, tls: { ca: 'ca.pem', cert: 'client.pem', key: 'client-key.pem' } });
    const nc = await connectNats({ ...natsConnectOptions(cfg, cfgFile), retryFirstConnect: false });
    const sub = nc.subscribe('t', { max: 1 });
    nc.publish('t', 'over tls');
    for await (const m of sub) expect(m.string()).toBe('over tls');
    await nc.close();
  });

  it('refuses a server it cannot verify: a clear TLS error, no way to skip verification', async () => {
    const err = await connectNats({
      servers: [`tls://127.0.0.1:${server.port}`], tls: { certFile: path.join(dir, 'client.pem'), keyFile: path.join(dir, 'client-key.pem') }, retryFirstConnect: false,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.code).toBe('NATS_TLS');
    expect(err.message).toMatch(/check nats.tls/);
  });

  it('names a missing TLS file', async () => {
    const err = await connectNats({ servers: [`tls://127.0.0.1:${server.port}`], tls: { caFile: path.join(dir, 'nope.pem') }, retryFirstConnect: false }).catch((e) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toMatch(/tls.caFile: cannot read .*nope.pem/);
  });
});
