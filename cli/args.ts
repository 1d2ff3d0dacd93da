import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ValidationError } from '../common/errors.ts';

/** parseArgs with errors that name the flag, as every other input error does. */
export function parseCli<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new ValidationError('arguments', (err as Error).message, { cause: err });
  }
}

export function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new ValidationError(flag, `expected a number, got "${value}"`);
  return n;
}
