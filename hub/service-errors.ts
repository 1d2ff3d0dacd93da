import { VigilError } from '../common/errors.ts';

/**
 * A logged-in actor asking for something its role, unit (or site) does not
 * cover: the API answers 403. Services raise it where the check needs the
 * data (a unit acting for another unit), routes where the role alone decides.
 */
export class AccessDeniedError extends VigilError {
  constructor(message: string, key?: string, params?: Record<string, string | number>) {
    super('FORBIDDEN', message, { ...(key ? { key } : {}), ...(params ? { params } : {}) });
  }
}

/** An error with its own HTTP status, code and catalogue key (the message is localised from the key). */
export class ApiError extends VigilError {
  constructor(readonly status: 400 | 401 | 403 | 404 | 409 | 429 | 502 | 503 | 507, code: string, message: string, key?: string, params?: Record<string, string | number>, cause?: unknown) {
    super(code, message, { ...(key ? { key } : {}), ...(params ? { params } : {}), ...(cause === undefined ? {} : { cause }) });
  }
}

/** A request without a valid login: no token, a bad one, or a session that has ended (401). */
export function unauthorized(message: string, key = 'error.unauthorized', options: { params?: Record<string, string | number>; cause?: unknown } = {}): ApiError {
  return new ApiError(401, 'unauthorized', message, key, options.params, options.cause);
}
