import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../common/errors.ts';

/**
 * A private CA and the certificates signed by it, made with the openssl CLI
 * (node:crypto makes keys but not X.509 certificates). Used by
 * deploy/make-secrets.ts for compose and by the loopback cluster test, so
 * both run NATS with verified TLS on client, leaf and route connections.
 */
export interface CertFiles { certFile: string; keyFile: string }
export interface CertRequest {
  /** the certificate's CN and file stem */
  name: string;
  /** host names the certificate is valid for (servers) */
  dns?: readonly string[];
  ips?: readonly string[];
}

const DAYS = '825';

function openssl(args: string[], what: string): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.error) throw new ValidationError('openssl', `cannot run openssl to make ${what}: ${r.error.message}`);
  if (r.status !== 0) throw new ValidationError('openssl', `openssl failed making ${what}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
}

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA (P-256) in dir: ca.pem and ca-key.pem. The key never leaves the machine that runs make-secrets. */
export function makeCa(dir: string, cn = 'Vigil deployment CA'): CertFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = path.join(dir, 'ca.pem');
  const keyFile = path.join(dir, 'ca-key.pem');
  openssl(['req', '-x509', ...ecKey, '-days', DAYS, '-subj', `/CN=${cn}`, '-keyout', keyFile, '-out', certFile,
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], 'the CA');
  return { certFile, keyFile };
}

/**
 * A certificate signed by the CA, for both TLS roles: a NATS server also dials
 * its routes and leaf remotes as a client, and every listener verifies its
 * peer's certificate.
 */
export function makeCert(ca: CertFiles, dir: string, req: CertRequest): CertFiles {
  if (!/^[A-Za-z0-9._-]+$/.test(req.name)) throw new ValidationError('name', `${req.name}: letters, digits, ".", "_" and "-" only`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = path.join(dir, `${req.name}.pem`);
  const keyFile = path.join(dir, `${req.name}-key.pem`);
  const csr = path.join(dir, `${req.name}.csr`);
  const ext = path.join(dir, `${req.name}.ext`);
  const san = [...(req.dns ?? []).map((d) => `DNS:${d}`), ...(req.ips ?? []).map((i) => `IP:${i}`)];
  writeFileSync(ext, [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth,clientAuth',
    ...(san.length ? [`subjectAltName=${san.join(',')}`] : []),
    '',
  ].join('\n'));
  try {
    openssl(['req', '-new', ...ecKey, '-subj', `/CN=${req.name}`, '-keyout', keyFile, '-out', csr], `the key of ${req.name}`);
    openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', `0x${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex')}`,
      '-days', DAYS, '-extfile', ext, '-out', certFile], `the certificate of ${req.name}`);
  } finally {
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
  }
  return { certFile, keyFile };
}
