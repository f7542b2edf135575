import { ValidateIf, ValidationOptions, registerDecorator } from 'class-validator';
import { isCalendarDate } from './calendar';

export function IsCalendarDate(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isCalendarDate',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a calendar date YYYY-MM-DD`, ...options },
      validator: { validate: (value: unknown) => isCalendarDate(value) },
    });
}

/**
 * An ISO-8601 instant with a time zone. (Whether it is in the future is a rule checked in the
 * unit of work, after a repeated Idempotency-Key has had the chance to replay its answer: a
 * repeat must not fail merely because time passed.)
 */
export function IsInstant(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isInstant',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be an ISO-8601 instant with a time zone`, ...options },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' &&
          /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
          isCalendarDate(value.slice(0, 10)) &&
          !Number.isNaN(Date.parse(value)),
      },
    });
}

/**
 * Like @IsOptional, but only an absent field is skipped: an explicit null is validated (and
 * refused) like any other wrong type. Fields that may be cleared use @IsOptional instead.
 */
export const OptionalField = () => ValidateIf((_: object, value: unknown) => value !== undefined);

/**
 * Length in Unicode code points, as PostgreSQL's char_length counts it. (class-validator's
 * @Length does not count variation selectors, so text it accepts could break a CHECK.)
 */
export function TextLength(min: number, max: number, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'textLength',
      target: target.constructor,
      propertyName,
      constraints: [min, max],
      options: { message: `${propertyName} must be ${min} to ${max} characters long`, ...options },
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          let length = 0;
          for (const _ of value) length++;
          return length >= min && length <= max;
        },
      },
    });
}
