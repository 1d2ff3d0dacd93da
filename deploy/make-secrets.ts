/**
 * Generates what compose.yaml mounts, once per deployment:
 *   node --import tsx deploy/make-secrets.ts [--out deploy/secrets] [--force]
 *
 * One folder per container, holding only what that container needs:
 * - ca/: the deployment's CA (ca-key.pem stays here: no container mounts it);
 * - nats-N/: the node's nats.conf (routes with a password, the HUB account and
 *   one account per site, from deploy/topology.ts), CA and server certificate;
 * - leaf-<site>/: the site leaf's nats.conf (its login to its site's account,
 *   its edges' nkey users), CA and certificate;
 * - hub/: PostgreSQL URL, JWT key, admin password hash, the hub's nkey seed and
 *   client certificate, the /metrics scrape token;
 * - edge-<site>/: the edge's nkey seed and client certificate, that site's
 *   camera password and sensor token;
 * - postgres/: the database password; admin-password.txt for the operator.
 * Nothing is written when the CA exists, unless --force: re-running never
 * rotates a key by accident.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createNkeyUser } from '../common/transport/nats-auth.ts';
import { hashPassword } from '../hub/auth/password.ts';
import { composeAddress, composeTopology, natsServerTls } from './compose.ts';
import { makeCa, makeCert } from './pki.ts';
import { natsLeafConfig, natsNodeConfig, type Topology, type TopologySecrets } from './topology.ts';

export async function makeSecrets(out: string, force = false, topology: Topology = composeTopology()): Promise<string[]> {
  if (existsSync(path.join(out, 'ca', 'ca.pem')) && !force) return [];
  const written: string[] = [];
  const put = (rel: string, text: string) => {
    const f = path.join(out, rel);
    mkdirSync(path.dirname(f), { recursive: true, mode: 0o700 });
    writeFileSync(f, text, { mode: 0o600 });
    written.push(rel);
  };
  const pw = () => randomBytes(24).toString('base64url');
  const t = topology;

  const ca = makeCa(path.join(out, 'ca'));
  written.push('ca/ca.pem', 'ca/ca-key.pem');
  /** a certificate for one container, in its own folder, with the CA beside it */
  const cert = (folder: string, stem: string, dns: string[]) => {
    const dir = path.join(out, folder);
    const c = makeCert(ca, dir, { name: stem, dns });
    copyFileSync(ca.certFile, path.join(dir, 'ca.pem'));
    written.push(`${folder}/${stem}.pem`, `${folder}/${stem}-key.pem`, `${folder}/ca.pem`);
    return c;
  };

  const pgPassword = pw();
  put('postgres/pg-password.txt', pgPassword);
  put('hub/pg-url.txt', `postgres://vigil:${encodeURIComponent(pgPassword)}@postgres:5432/vigil`);
  put('hub/jwt-secret.txt', randomBytes(48).toString('base64url'));
  const admin = pw();
  put('admin-password.txt', admin);
  put('hub/admin-password-hash.txt', await hashPassword(admin));
  put('hub/metrics-token.txt', randomBytes(32).toString('base64url'));
  const hub = createNkeyUser();
  put('hub/nats.nk', hub.seed);
  cert('hub', 'client', []);

  const edges: Record<string, { nkey: string }> = {};
  for (const s of t.sites) {
    for (const e of s.edges) {
      const folder = `edge-${s.id}`;
      const key = createNkeyUser();
      put(`${folder}/nats.nk`, key.seed);
      edges[`${s.id}/${e}`] = { nkey: key.publicKey };
      cert(folder, 'client', []);
      put(`${folder}/camera-password.txt`, pw());
      put(`${folder}/sensor-token.txt`, pw());
    }
  }
  const secrets: TopologySecrets = {
    routePassword: pw(),
    hub: { nkey: hub.publicKey },
    leafPasswords: Object.fromEntries(t.sites.map((s) => [s.id, pw()])),
    edges,
  };
  for (const n of t.natsNodes) {
    cert(n, 'server', [n]);
    put(`${n}/nats.conf`, natsNodeConfig(t, n, composeAddress, secrets, { storeDir: '/data/jetstream', listenHost: '0.0.0.0', tls: natsServerTls }));
  }
  for (const s of t.sites) {
    const leaf = `leaf-${s.id}`;
    cert(leaf, 'server', [leaf]);
    put(`${leaf}/nats.conf`, natsLeafConfig(t, s.id, composeAddress, secrets, { host: '0.0.0.0', port: 4222, tls: natsServerTls }));
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, force: { type: 'boolean' } } });
  const out = path.resolve(values.out ?? path.join(import.meta.dirname, 'secrets'));
  const written = await makeSecrets(out, Boolean(values.force));
  process.stdout.write(written.length ? `wrote ${written.length} files to ${out}\n` : `secrets already exist in ${out} (use --force to replace them all)\n`);
}
