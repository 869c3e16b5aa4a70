import { EncodeError } from "../errors.js";

/** The default value of a non-nullable `bytes` field. */
export const EMPTY: Buffer = Buffer.alloc(0);

/** A null given for a field that is not nullable at this version. */
export function nonNullable(field: string, version: number): EncodeError {
  return new EncodeError(`field ${field} is not nullable at version ${version}`);
}
