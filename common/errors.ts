/**
 * One error class per failure, each with a stable `name`, a machine-readable
 * `code` and the underlying `cause`, in the manner of nats.js's errors.ts.
 */
export interface VigilErrorOptions {
  cause?: unknown;
  /** the message in the interface's catalogue (hub/i18n), for users who read another language */
  key?: string;
  params?: Readonly<Record<string, string | number>>;
}

export class VigilError extends Error {
  readonly code: string;
  readonly key: string | undefined;
  readonly params: Readonly<Record<string, string | number>> | undefined;
  constructor(code: string, message: string, options?: VigilErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.key = options?.key;
    this.params = options?.params;
  }
}

/** A config file that failed to load or failed its schema. Names the file and the path. */
export class ConfigError extends VigilError {
  readonly file: string;
  readonly issues: readonly { path: string; message: string }[];
  constructor(file: string, issues: readonly { path: string; message: string }[], options?: VigilErrorOptions) {
    const lines = issues.map((i) => `  ${file}: ${i.path || '(root)'}: ${i.message}`);
    super('CONFIG_INVALID', `invalid config ${file}\n${lines.join('\n')}`, options);
    this.file = file;
    this.issues = issues;
  }
}

/** Input data (a message, an API body, a CLI argument) that failed validation. */
export class ValidationError extends VigilError {
  readonly field: string;
  constructor(field: string, message: string, options?: VigilErrorOptions) {
    super('VALIDATION', `${field}: ${message}`, options);
    this.field = field;
  }
}

/** A video file or stream that cannot be opened or decoded. */
export class MediaError extends VigilError {
  readonly source: string;
  constructor(source: string, message: string, options?: VigilErrorOptions & { code?: string }) {
    super(options?.code ?? 'MEDIA', `${source}: ${message}`, options);
    this.source = source;
  }
}

/** A model file that is missing, altered, or cannot be loaded. */
export class ModelError extends VigilError {}

/** A transport (NATS) failure. */
export class TransportError extends VigilError {}

/** A store (database) failure. */
export class StoreError extends VigilError {}

/** A state-machine transition that is not allowed. */
export class TransitionError extends VigilError {
  constructor(readonly from: string, readonly to: string, what = 'incident') {
    super('TRANSITION', `${what} cannot go from ${from} to ${to}`, { key: 'error.transition', params: { what, from, to } });
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
