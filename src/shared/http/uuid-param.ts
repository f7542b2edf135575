import { PipeTransform } from '@nestjs/common';
import { NotFoundError } from '../errors/api-error';
import { isUuid } from '../ids';

/** A path id that is not a UUID names nothing that exists: 404, like any other unknown id. */
export const uuidParam = (resource: string): PipeTransform<string, string> => ({
  transform(value: string) {
    if (!isUuid(value)) throw new NotFoundError(resource);
    return value.toLowerCase();
  },
});
