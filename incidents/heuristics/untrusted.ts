/**
 * Text that came from outside (log lines, alert annotations, trace names) is DATA. It is quoted
 * inside a clearly delimited, length-capped wrapper wherever it is shown, and nothing in the
 * investigation ever derives an action from it: proposed actions come only from a fixed set of
 * runbooks chosen by signal kinds (see hypotheses.ts).
 */
export function wrapUntrusted(text: string, max = 200): string {
  // Control characters and line separators could fake new lines in reports and logs; backticks
  // could break out of a code span, and « » could close the wrapper early and fake trusted text.
  const clean = text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ')
    .replace(/`/g, "'")
    .replace(/«/g, '‹')
    .replace(/»/g, '›');
  const cut = clean.length > max ? `${clean.slice(0, max)}…` : clean;
  return `«untrusted: ${cut}»`;
}
