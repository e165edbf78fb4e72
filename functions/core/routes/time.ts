import { InvalidInputError } from './errors.js';

/** Epoch milliseconds of an ISO-8601 instant from the input; throws `InvalidInputError` naming the field. */
export function instantMs(field: string, iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new InvalidInputError(field, `'${iso}' is not an ISO-8601 time`);
  return ms;
}
