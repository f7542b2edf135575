import { ValidateIf, ValidationOptions, registerDecorator } from 'class-validator';
import { isCalendarDate, isStorableInstant } from './calendar';

export function IsCalendarDate(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isCalendarDate',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a calendar date YYYY-MM-DD from 0001-01-01 to 9999-12-31`, ...options },
      validator: { validate: (value: unknown) => isCalendarDate(value) },
    });
}

/**
 * An ISO-8601 instant with a time zone, from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z in
 * UTC (what PostgreSQL can store). (Whether it is in the future is a rule checked in the unit of
 * work, after a repeated Idempotency-Key has had the chance to replay its answer: a repeat must
 * not fail merely because time passed.)
 */
export function IsInstant(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isInstant',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be an ISO-8601 instant with a time zone, from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z`, ...options },
      validator: { validate: (value: unknown) => isStorableInstant(value) },
    });
}

/**
 * An integer from `min` to `max`, in one check with one message: separate @IsInt/@Min/@Max run
 * last-declared first, so "10", true or null read "must not be greater than …".
 */
export function IsIntInRange(min: number, max: number, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isIntInRange',
      target: target.constructor,
      propertyName,
      constraints: [min, max],
      options: { message: `${propertyName} must be an integer from ${min} to ${max}`, ...options },
      validator: { validate: (value: unknown) => Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max },
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
