import { HTTPException } from 'hono/http-exception';
import { StoreError, TransitionError, ValidationError, VigilError } from '../../common/errors.ts';
import { NotFoundError } from '../store/not-found.ts';
import { translator, type Locale, type Translator } from '../i18n/catalogue.ts';
import { statusLabel } from '../i18n/describe.ts';
import { AccessDeniedError, ApiError } from '../service-errors.ts';

export interface ErrorBody {
  error: string;
  message: string;
  field?: string;
  from?: string;
  to?: string;
}

/** The catalogue's text for a VigilError that carries a key; undefined when it has none. */
function keyed(t: Translator, err: VigilError): string | undefined {
  return err.key ? t.lookup(err.key, err.params) : undefined;
}

/**
 * Every error the API answers with, as status and body, in the request's
 * language. English keeps the error's own message (the text the rest of the
 * code, the logs and the tests know); another language takes the catalogue's
 * message for the error's key or kind. `error` is a stable code in any language.
 */
export function errorResponse(err: unknown, locale: Locale): { status: number; body: ErrorBody } | null {
  const t = translator(locale);
  const en = locale === 'en';
  if (err instanceof ValidationError) {
    const prefix = `${err.field}: `;
    const detail = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
    const message = en ? err.message : keyed(t, err) ?? t.t('error.validation', { field: err.field, detail });
    return { status: 400, body: { error: 'validation', field: err.field, message } };
  }
  if (err instanceof TransitionError) {
    const what = t.lookup(`entity.${err.params?.what ?? 'incident'}`) ?? String(err.params?.what ?? '');
    const message = en ? err.message : t.t('error.transition', { what, from: statusLabel(t, err.from), to: statusLabel(t, err.to) });
    return { status: 409, body: { error: 'transition', from: err.from, to: err.to, message } };
  }
  if (err instanceof NotFoundError) {
    const entity = t.lookup(`entity.${err.entity}`) ?? (en ? err.entity : t.t('entity.other'));
    return { status: 404, body: { error: 'not_found', message: en ? err.message : t.t('error.not_found', { entity, id: err.id }) } };
  }
  if (err instanceof AccessDeniedError) {
    return { status: 403, body: { error: 'forbidden', message: en ? err.message : keyed(t, err) ?? t.t('error.forbidden', { role: '' }) } };
  }
  if (err instanceof ApiError) {
    return { status: err.status, body: { error: err.code, message: en ? err.message : keyed(t, err) ?? t.t('error.http', { status: err.status }) } };
  }
  if (err instanceof HTTPException) {
    const status = err.status;
    const code = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : status === 413 ? 'payload_too_large' : 'http_error';
    if (en) return { status, body: { error: code, message: err.message } };
    const role = /role (\w+)/.exec(err.message)?.[1];
    const message = status === 401 ? t.t('error.unauthorized')
      : status === 403 ? t.t('error.forbidden', { role: role ? t.lookup(`role.${role}`) ?? role : '' })
      : status === 413 ? t.t('error.payload_too_large', { limit: /(\d+) bytes/.exec(err.message)?.[1] ?? '' })
      : t.t('error.http', { status });
    return { status, body: { error: code, message } };
  }
  if (err instanceof StoreError && err.code === 'STORE_CONFLICT') return { status: 409, body: { error: 'conflict', message: en ? err.message : keyed(t, err) ?? t.t('error.conflict') } };
  if (err instanceof StoreError) return { status: 503, body: { error: 'unavailable', message: t.t('error.unavailable') } };
  return null;
}

export function internalError(locale: Locale): ErrorBody {
  return { error: 'internal', message: translator(locale).t('error.internal') };
}
