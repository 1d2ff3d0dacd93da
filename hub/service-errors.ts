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
  constructor(readonly status: 400 | 403 | 404 | 409 | 502 | 503, code: string, message: string, key?: string, params?: Record<string, string | number>) {
    super(code, message, { ...(key ? { key } : {}), ...(params ? { params } : {}) });
  }
}
