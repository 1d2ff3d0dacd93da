import type { Context } from 'hono';
import { z } from 'zod';
import { ValidationError } from '../../common/errors.ts';

/** zod's own messages in the request's language (schema-level messages stay as written). */
const ZH = z.locales.zhCN();
const parseOptions = (c: Context) => (c.get('locale') === 'zh-CN' ? { error: ZH.localeError } : undefined);

function toValidationError(error: z.ZodError, root: string): ValidationError {
  const issue = error.issues[0]!;
  const field = issue.path.length ? issue.path.map(String).join('.') : root;
  return new ValidationError(field, issue.message, { cause: error });
}

/** Reads a JSON body (empty means `{}`); anything else that is not JSON is a ValidationError (400). */
export async function readJson(c: Context): Promise<unknown> {
  try {
    const text = await c.req.text();
    return text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    throw new ValidationError('body', 'is not valid JSON', { cause: err, key: 'error.bad_json' });
  }
}

/** Parses a JSON body against a schema; a bad body is a ValidationError naming the field (400). */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const value = await readJson(c);
  const r = schema.safeParse(value, parseOptions(c));
  if (!r.success) throw toValidationError(r.error, 'body');
  return r.data;
}

/** Parses the query string against a schema; an unknown or bad parameter is named. */
export function queryParams<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const r = schema.safeParse(c.req.query(), parseOptions(c));
  if (!r.success) throw toValidationError(r.error, 'query');
  return r.data;
}
