import { describe, expect, it } from 'vitest';
import { StoreError } from '../../../common/errors.ts';
import { isTransientStoreError } from '../../../hub/store/database.ts';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('what counts as a store outage', () => {
  it('takes a full disk for an outage on either store', () => {
    expect(isTransientStoreError(coded('SQLITE_FULL', 'database or disk is full'))).toBe(true);
    expect(isTransientStoreError(coded('SQLITE_IOERR_WRITE'))).toBe(true);
    // PostgreSQL class 53, insufficient resources: disk full, out of memory, too many connections…
    for (const code of ['53000', '53100', '53200', '53300', '53400']) expect(isTransientStoreError(coded(code)), code).toBe(true);
    expect(isTransientStoreError(coded('ENOSPC', 'no space left on device'))).toBe(true);
  });
  it('sees through wrappers: a failed rollback, a StoreError, an AggregateError', () => {
    // SQLite rolls back by itself on SQLITE_FULL; the ROLLBACK that follows then fails with this.
    expect(isTransientStoreError(coded('SQLITE_ERROR', 'cannot rollback - no transaction is active'))).toBe(true);
    expect(isTransientStoreError(new StoreError('X', 'commit failed', { cause: coded('53100', 'could not extend file') }))).toBe(true);
    expect(isTransientStoreError(new Error('outer', { cause: new Error('middle', { cause: coded('SQLITE_FULL') }) }))).toBe(true);
    expect(isTransientStoreError(new AggregateError([new Error('x'), coded('ECONNREFUSED')]))).toBe(true);
  });
  it('leaves bad data and bugs permanent', () => {
    expect(isTransientStoreError(coded('SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed'))).toBe(false);
    expect(isTransientStoreError(coded('23505', 'duplicate key'))).toBe(false);
    expect(isTransientStoreError(coded('22P02', 'invalid input syntax'))).toBe(false);
    expect(isTransientStoreError(new TypeError('x is undefined'))).toBe(false);
  });
});
