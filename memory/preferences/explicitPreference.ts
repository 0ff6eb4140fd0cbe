/**
 * Explicit preference learning: "remember that we call it checkout-svc", "remember: show charts,
 * not tables", "from now on, always page the on-call first". Returns the statement to store, or
 * undefined when the turn is not an instruction to remember.
 */
const PATTERNS = [/^\s*(?:please\s+)?remember(?:\s+that)?\s*[:,-]?\s+(.+)$/is, /^\s*from now on,?\s+(.+)$/is, /^\s*(?:note|fyi)\s+for\s+(?:the\s+)?future\s*[:,-]?\s+(.+)$/is];

export function explicitPreference(text: string): string | undefined {
  for (const re of PATTERNS) {
    const m = re.exec(text);
    const statement = m?.[1]?.trim().replace(/[.!]+$/, '');
    if (statement && statement.length >= 3) return statement;
  }
  return undefined;
}
