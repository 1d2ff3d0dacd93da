import { maskValue, maskCredentials } from './mask.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  name: string;
  level?: LogLevel;
  /** Where JSON lines go; stderr by default so that stdout stays free for CLI output. */
  write?: (line: string) => void;
  bindings?: Record<string, unknown>;
}

/** JSON-lines logger. Every string is passed through maskCredentials, whatever field it sits in. */
export function createLogger(options: LoggerOptions): Logger {
  const min = LEVELS[options.level ?? (process.env.VIGIL_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? LEVELS.info;
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const bindings = { name: options.name, ...options.bindings };
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return;
    const record = { time: new Date().toISOString(), level, ...bindings, msg: maskCredentials(msg), ...(fields ? (maskValue(fields) as object) : {}) };
    write(JSON.stringify(record));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (b) => createLogger({ ...options, bindings: { ...options.bindings, ...b } }),
  };
}

/** A logger that drops everything; for tests and quiet CLI modes. */
export const silentLogger: Logger = {
  debug() {}, info() {}, warn() {}, error() {},
  child() { return silentLogger; },
};
