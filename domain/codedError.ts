/**
 * The base of every error a caller can cause and act on: a `family` (which service raised it) and
 * a stable `code` within that family. Services throw these without knowing HTTP; the API maps each
 * (family, code) to a problem+json response in one table (`api/errorHandler.ts`), chat turns them
 * into replies. Nobody matches on error messages or names. Pure: safe in any layer.
 */
export abstract class CodedError<Family extends string = string, Code extends string = string> extends Error {
  abstract readonly family: Family;

  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
