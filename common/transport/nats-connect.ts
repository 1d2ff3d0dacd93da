import { readFileSync } from 'node:fs';
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Authenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from '@nats-io/transport-node';
import { TransportError, errorMessage } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import { createBackoff, sleep } from './backoff.ts';

/** How a client proves who it is. The demo uses user+password; production edges use an nkey or a creds file. */
export type NatsAuth =
  | { type: 'userpass'; user: string; pass: string }
  | { type: 'token'; token: string }
  /** an nkey user seed, "SU…" */
  | { type: 'nkey'; seed: string }
  /** the text of a .creds file (user JWT + nkey seed) */
  | { type: 'creds'; creds: string };

/** PEM text or file paths. The server certificate is always verified: there is no option to turn that off. */
export interface NatsTls {
  ca?: string;
  caFile?: string;
  cert?: string;
  certFile?: string;
  key?: string;
  keyFile?: string;
  /** TLS before the INFO line (server `handshake_first`) */
  handshakeFirst?: boolean;
}

export interface NatsConnectOptions {
  servers: readonly string[];
  /** connection name shown by the server (`vigil-edge-<site>-<edge>`) */
  name?: string;
  auth?: NatsAuth;
  tls?: NatsTls;
  /** private reply subjects, e.g. `_INBOX_<edge>`, so that an edge may subscribe to its own replies only */
  inboxPrefix?: string;
  /** first delay between attempts; @default 250 ms */
  initialDelayMs?: number;
  /** cap on the delay between attempts; @default 10_000 ms */
  maxDelayMs?: number;
  /**
   * Keep trying the first connection forever, backing off, instead of failing
   * (an edge starts even when the hub is down; alarms wait in the outbox). @default true
   */
  retryFirstConnect?: boolean;
  /** time limit for one connection attempt; @default 5_000 ms */
  timeoutMs?: number;
  logger?: Logger;
  /** stops the first-connection retry loop */
  signal?: AbortSignal;
  /** told about each failed first-connection attempt (already logged) */
  onAttemptFailed?: (error: TransportError, attempt: number, retryInMs: number) => void;
}

export function describeAuth(auth: NatsAuth | undefined): string {
  switch (auth?.type) {
    case undefined: return 'no credentials';
    case 'userpass': return `user "${auth.user}"`;
    case 'token': return 'a token';
    case 'nkey': return 'an nkey';
    case 'creds': return 'a creds file';
  }
}

function authenticator(auth: NatsAuth): Authenticator {
  const enc = new TextEncoder();
  switch (auth.type) {
    case 'userpass': return usernamePasswordAuthenticator(auth.user, auth.pass);
    case 'token': return tokenAuthenticator(auth.token);
    case 'nkey': return nkeyAuthenticator(enc.encode(auth.seed.trim()));
    case 'creds': return credsAuthenticator(enc.encode(auth.creds));
  }
}

function tlsOptions(tls: NatsTls): NonNullable<NodeConnectionOptions['tls']> {
  const read = (p: string | undefined, field: string) => {
    if (p === undefined) return undefined;
    try { return readFileSync(p, 'utf8'); } catch (err) {
      throw new TransportError('NATS_TLS', `tls.${field}: cannot read ${p}`, { cause: err });
    }
  };
  const out: Record<string, unknown> = {};
  const ca = tls.ca ?? read(tls.caFile, 'caFile');
  const cert = tls.cert ?? read(tls.certFile, 'certFile');
  const key = tls.key ?? read(tls.keyFile, 'keyFile');
  if ((cert === undefined) !== (key === undefined)) throw new TransportError('NATS_TLS', 'tls: cert and key must be given together');
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  if (tls.handshakeFirst) out.handshakeFirst = true;
  return out as NonNullable<NodeConnectionOptions['tls']>;
}

/** Turns a nats.js failure into a TransportError whose message says what to check. Never includes secrets. */
export function classifyNatsError(err: unknown, options: Pick<NatsConnectOptions, 'servers' | 'auth'>): TransportError {
  if (err instanceof TransportError) return err;
  const msg = errorMessage(err);
  const where = options.servers.join(', ');
  const name = err instanceof Error ? err.name : '';
  if (/authorization|authentication|auth.*(violation|expired)|user.*(revoked|expired)/i.test(msg) || name === 'AuthorizationError' || name === 'UserAuthenticationExpiredError') {
    return new TransportError('NATS_AUTH', `NATS server ${where} refused ${describeAuth(options.auth)}: ${msg}; check the nats.auth credentials`, { cause: err });
  }
  if (/tls|certificate|self.signed|handshake/i.test(msg)) {
    return new TransportError('NATS_TLS', `TLS with NATS server ${where} failed: ${msg}; check nats.tls`, { cause: err });
  }
  if (/permission/i.test(msg) || name === 'PermissionViolationError') {
    return new TransportError('NATS_PERMISSION', `NATS permission denied: ${msg}`, { cause: err });
  }
  if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|timeout|refused|connection/i.test(msg) || name === 'ConnectionError') {
    return new TransportError('NATS_UNREACHABLE', `NATS server ${where} is unreachable: ${msg}`, { cause: err });
  }
  return new TransportError('NATS', `NATS error with ${where}: ${msg}`, { cause: err });
}

/**
 * Connects to NATS with reconnect forever (exponential, jittered, capped
 * backoff) and, unless told otherwise, retries the first connection forever
 * too. Bad credentials and unreachable servers give a clear TransportError in
 * the log and in `onAttemptFailed`, never a crash.
 */
export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  if (!options.servers.length) throw new TransportError('NATS_CONFIG', 'servers: at least one NATS server URL is required');
  const logger = options.logger ?? silentLogger;
  const initialMs = options.initialDelayMs ?? 250;
  const maxMs = options.maxDelayMs ?? 10_000;
  const reconnectBackoff = createBackoff({ initialMs, maxMs });
  const opts: NodeConnectionOptions = {
    servers: [...options.servers],
    name: options.name,
    maxReconnectAttempts: -1,
    // The delay handler runs once per pass over the server list.
    reconnectDelayHandler: () => reconnectBackoff.next(),
    // Credentials may be fixed (rotated) on the server while the edge keeps trying.
    ignoreAuthErrorAbort: true,
    timeout: options.timeoutMs ?? 5_000,
    waitOnFirstConnect: false,
  };
  if (options.auth) opts.authenticator = authenticator(options.auth);
  if (options.tls) opts.tls = tlsOptions(options.tls);
  if (options.inboxPrefix) opts.inboxPrefix = options.inboxPrefix;

  const first = createBackoff({ initialMs, maxMs });
  for (let attempt = 1; ; attempt++) {
    try {
      const nc = await connect(opts);
      logger.info('nats connected', { server: nc.getServer(), name: options.name });
      void (async () => {
        for await (const s of nc.status()) {
          if (s.type === 'reconnect') { reconnectBackoff.reset(); logger.info('nats reconnected', { server: s.server }); }
          else if (s.type === 'disconnect') logger.warn('nats disconnected', { server: s.server });
          else if (s.type === 'error') logger.error('nats error', { error: classifyNatsError(s.error, options) });
        }
      })().catch((err) => logger.error('nats status loop failed', { error: err }));
      return nc;
    } catch (err) {
      const error = classifyNatsError(err, options);
      if (options.retryFirstConnect === false || options.signal?.aborted) throw error;
      const delay = first.next();
      logger.error('nats connection failed; retrying', { attempt, retryInMs: delay, code: error.code, error });
      options.onAttemptFailed?.(error, attempt, delay);
      await sleep(delay, options.signal);
      if (options.signal?.aborted) throw new TransportError('NATS_ABORTED', `connection to ${options.servers.join(', ')} abandoned after ${attempt} attempts`, { cause: error });
    }
  }
}

/** The link as the edge sees it. */
export type LinkStatus =
  | { type: 'up'; server: string }
  | { type: 'down'; server: string }
  | { type: 'reconnecting' }
  | { type: 'error'; error: TransportError }
  | { type: 'closed' };

/** A typed view of `nc.status()`; ends when the connection closes. */
export async function* linkStatus(nc: NatsConnection, options: Pick<NatsConnectOptions, 'servers' | 'auth'> = { servers: [] }): AsyncIterable<LinkStatus> {
  for await (const s of nc.status()) {
    switch (s.type) {
      case 'reconnect': yield { type: 'up', server: s.server }; break;
      case 'disconnect': yield { type: 'down', server: s.server }; break;
      case 'reconnecting': yield { type: 'reconnecting' }; break;
      case 'error': yield { type: 'error', error: classifyNatsError(s.error, options) }; break;
      case 'close': yield { type: 'closed' }; return;
      default: break;
    }
  }
}
