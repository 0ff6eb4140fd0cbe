/**
 * Timestamps go to SQL as ISO strings, not Date objects: PGlite serialises parameters with an
 * `instanceof Date` check, which fails for Dates from another realm (Jest's sandbox, vm contexts).
 */
export function iso(t: number | Date): string {
  return new Date(t).toISOString();
}
