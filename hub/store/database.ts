import SQLite from 'better-sqlite3';
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver } from 'kysely';
import { StoreError, errorMessage } from '../../common/errors.ts';
import type { Database } from './schema.ts';

export { migrateToLatest } from './migrate.ts';

export type DatabaseOptions =
  | { dialect: 'sqlite'; file: string; /** ms to wait on a locked database; @default 5000 */ busyTimeoutMs?: number }
  | { dialect: 'postgres'; connectionString: string; /** created when missing; @default public */ schema?: string; /** @default 10 */ poolSize?: number };

export type Dialect = DatabaseOptions['dialect'];

export interface HubDatabase {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  destroy(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens the hub store. SQLite (the default) runs in WAL mode with
 * synchronous=FULL, because a commit gates the JetStream ack: an acknowledged
 * alarm must survive a power cut. PostgreSQL is for production and replicas.
 */
export function createDatabase(options: DatabaseOptions): HubDatabase {
  const opts = Object.freeze({ ...options });
  if (opts.dialect === 'sqlite') return openSqlite(opts);
  if (opts.dialect === 'postgres') return openPostgres(opts);
  throw new StoreError('STORE_DIALECT', `unknown database dialect ${(opts as { dialect: string }).dialect}`);
}

function openSqlite(opts: Extract<DatabaseOptions, { dialect: 'sqlite' }>): HubDatabase {
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(opts.file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`busy_timeout = ${Math.trunc(opts.busyTimeoutMs ?? 5000)}`);
  } catch (err) {
    throw new StoreError('STORE_OPEN', `cannot open SQLite database ${opts.file}: ${(err as Error).message}`, { cause: err });
  }
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: cachingStatements(sqlite) }) });
  return Object.freeze({ db, dialect: 'sqlite' as const, destroy: () => db.destroy() });
}

/**
 * Kysely prepares every query afresh; ingest runs the same few statements
 * thousands of times a second, so prepared statements are kept by SQL text.
 * Safe because better-sqlite3 runs each statement to completion synchronously.
 */
function cachingStatements(sqlite: SQLite.Database, max = 256) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(text: string) {
      let stmt = cache.get(text);
      if (!stmt) {
        stmt = sqlite.prepare(text);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(text, stmt);
      }
      return stmt;
    },
    close() { cache.clear(); sqlite.close(); },
  };
}

/**
 * Transactions take the write lock up front (BEGIN IMMEDIATE): a deferred one
 * that reads and then writes fails at once with SQLITE_BUSY when another
 * process (a second hub replica) wrote in between, instead of waiting its turn.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  /**
   * SQLite rolls a transaction back by itself on SQLITE_FULL, IOERR, BUSY and
   * NOMEM. Kysely's ROLLBACK then fails with "no transaction is active", and
   * that error would replace the one that says the disk is full: a full disk
   * would read as a bug and the batch as poison. The transaction is gone
   * either way, so the original error is the one to report.
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.rollbackTransaction(connection);
    } catch (err) {
      if (!NO_TRANSACTION.test(errorMessage(err))) throw err;
    }
  }
}

const NO_TRANSACTION = /no transaction is active/i;

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/** int8 (counts, *_ms times) and numeric come back as strings from pg by default; they fit in a double here. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => (v === null ? null : Number(v));
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

function openPostgres(opts: Extract<DatabaseOptions, { dialect: 'postgres' }>): HubDatabase {
  const schema = opts.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new StoreError('STORE_SCHEMA', `invalid PostgreSQL schema name "${schema}" (lower-case letters, digits, "_")`);
  const pool = new pg.Pool({ connectionString: opts.connectionString, max: opts.poolSize ?? 10, types: pgTypes as never });
  // A dropped connection (server restart, network cut) must not crash the process
  // as an unhandled 'error' event: the query that was using it fails and reports it,
  // and the pool replaces the client.
  pool.on('error', () => {});
  pool.on('connect', (client) => { client.on('error', () => {}); });
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool,
      async onCreateConnection(conn) {
        if (schema !== 'public') {
          try {
            await conn.executeQuery(CompiledQuery.raw(`create schema if not exists "${schema}"`));
          } catch (err) {
            // Two connections racing to create the schema: the loser sees a duplicate error.
            const code = (err as { code?: string }).code;
            if (code !== '23505' && code !== '42P06') throw err;
          }
        }
        await conn.executeQuery(CompiledQuery.raw(`set search_path to "${schema}"`));
      },
    }),
  });
  return Object.freeze({ db, dialect: 'postgres' as const, destroy: () => db.destroy() });
}

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'ENOSPC', 'EIO', 'EDQUOT',
  // PostgreSQL: admin shutdown, crash shutdown, cannot connect now; serialization failure, deadlock;
  // connection exceptions; system I/O error. Class 53 (insufficient resources: disk full,
  // out of memory, too many connections) is matched by its prefix below.
  '57P01', '57P02', '57P03', '40001', '40P01', '08000', '08003', '08006', '08001', '08004', '58030',
]);
const TRANSIENT_MESSAGE = /Connection terminated|connection.*closed|timeout exceeded when trying to connect|Client has encountered a connection error|database or disk is full|no space left on device|disk I\/O error|no transaction is active/i;

/** The error and every error it wraps (`cause`, AggregateError's `errors`), outermost first. */
function errorChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  const todo = [err];
  while (todo.length && out.length < 16) {
    const e = todo.shift();
    if (e === undefined || e === null || out.includes(e)) continue;
    out.push(e);
    if (typeof e === 'object') {
      const o = e as { cause?: unknown; errors?: unknown };
      if (o.cause !== undefined) todo.push(o.cause);
      if (Array.isArray(o.errors)) todo.push(...o.errors);
    }
  }
  return out;
}

/**
 * True for failures worth retrying later (database down, locked, deadlock,
 * disk full), false for bad data or code. A store that is out of space is an
 * outage, not a verdict on the alarms: they wait for the space to come back.
 */
export function isTransientStoreError(err: unknown): boolean {
  return errorChain(err).some((e) => {
    const { code = '', message = '' } = (e ?? {}) as { code?: unknown; message?: unknown };
    const c = String(code);
    if (/^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|NOMEM|READONLY_DBMOVED)/.test(c)) return true;
    if (TRANSIENT_CODES.has(c) || /^53[0-9A-Z]{3}$/.test(c)) return true;
    return TRANSIENT_MESSAGE.test(String(message));
  });
}
