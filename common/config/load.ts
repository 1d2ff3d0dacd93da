import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';

/** Deep-freezes a parsed config so that nothing can change it after it is checked. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function zodIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** Checks a value against a schema, naming `file` and each bad path in the error. Returns a frozen copy. */
export function checkConfig<S extends z.ZodType>(schema: S, value: unknown, file: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new ConfigError(file, zodIssues(r.error), { cause: r.error });
  return deepFreeze(r.data);
}

/** Reads a YAML (or JSON) file and checks it. Relative paths inside stay relative to the file: see resolveFrom. */
export function loadConfigFile<S extends z.ZodType>(schema: S, file: string): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read file (${(err as NodeJS.ErrnoException).code ?? 'error'})` }], { cause: err });
  }
  let value: unknown;
  try {
    value = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
    throw new ConfigError(file, [{ path: where, message: `not valid YAML: ${(err as Error).message.split('\n')[0]}` }], { cause: err });
  }
  return checkConfig(schema, value ?? {}, file);
}

export function resolveFrom(configFile: string, p: string): string {
  return path.isAbsolute(p) ? p : path.resolve(path.dirname(configFile), p);
}

/** Reads a secret given inline, from an environment variable, or from a file (for mounted secrets). */
export function readSecret(s: { value?: string | undefined; env?: string | undefined; file?: string | undefined } | undefined, field: string, configFile = '(config)'): string | undefined {
  if (!s) return undefined;
  if (s.value !== undefined) return s.value;
  if (s.env !== undefined) {
    const v = process.env[s.env];
    if (v === undefined) throw new ConfigError(configFile, [{ path: field, message: `environment variable ${s.env} is not set` }]);
    return v;
  }
  if (s.file !== undefined) {
    try {
      return readFileSync(resolveFrom(configFile, s.file), 'utf8').trim();
    } catch (err) {
      throw new ConfigError(configFile, [{ path: field, message: `cannot read secret file ${s.file}` }], { cause: err });
    }
  }
  return undefined;
}
