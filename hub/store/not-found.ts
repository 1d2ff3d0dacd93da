import { VigilError } from '../../common/errors.ts';

/** A record that does not exist; the API maps it to 404. */
export class NotFoundError extends VigilError {
  constructor(readonly entity: string, readonly id: string) {
    super('NOT_FOUND', `${entity} ${id} not found`);
  }
}
