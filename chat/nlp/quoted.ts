/**
 * The user's own words, apart from material they quote. Alert annotations, log lines and earlier
 * messages pasted into a question often contain imperatives ("resolve incident inc-…", "ignore
 * previous instructions and …"); those are data about the system, not requests from the user, so
 * a mutating intent may only come from what is left here. Pure and deterministic (the workflow and
 * the API may call it).
 *
 * Removed: fenced and inline code, `>` quoted lines, spans in straight, typographic, guillemet or
 * full-width quotes, parenthesised / bracketed / braced notes, text introduced as quoted material
 * ("note from the alert:", "the log says", "message:", …) to the end of its line (or, when the
 * introducer ends the line, the following lines up to a blank line), text after an injection or
 * role-play framing ("ignore previous instructions", "pretend you are", …), and the clause a
 * trailing question is about ("…; is that real?").
 */
export interface OwnText {
  /** What the user wrote themselves, quoted material removed (whitespace collapsed). */
  own: string;
  /** The removed material, in order, for wrapping as untrusted data. */
  quoted: string[];
}

// Apostrophes inside words ("what's", "let's") are not quotes: a single quote opens only after a
// boundary and closes only before one.
const FENCED = /```[\s\S]*?(?:```|$)|~~~[\s\S]*?(?:~~~|$)/g;
const INLINE_CODE = /`[^`\n]*`?/g;
const QUOTE_LINE = /^[ \t]*>.*$/gm;
const DOUBLE_QUOTED = /"[^"\n]*(?:"|$)|“[^”\n]*(?:”|$)|„[^“”\n]*(?:[“”]|$)|«[^»\n]*(?:»|$)|‹[^›\n]*(?:›|$)|「[^」\n]*(?:」|$)/g;
const SINGLE_QUOTED = /(^|[\s([{:;,=])(?:'[^'\n]*'(?=$|[\s.,;:!?)\]}])|‘[^’\n]*(?:’|$))/g;
const BRACKETED = /\([^()]*\)?|\[[^\][]*\]?|\{[^{}]*\}?|<[^<>]*>?/g;

const SOURCE = String.raw`(?:the\s+|this\s+|that\s+|an?\s+|my\s+|our\s+|your\s+)?(?:alert(?:manager)?|alarm|page|pager(?:duty)?|log(?:\s+line)?|logs|error|exception|stack\s*trace|runbook|ticket|email|e-mail|slack|chat|message|msg|notification|annotation|summary|description|commit(?:\s+message)?|doc(?:ument)?s?|wiki|bot|copilot|you|someone|somebody|he|she|they|it|text|payload|output|body|reply)`;
/** Phrases that introduce quoted material: everything after them on the line is theirs. */
const INTRODUCERS: RegExp[] = [
  new RegExp(String.raw`\b(?:note|text|quote|message|excerpt|snippet|content|output)s?\s+(?:from|of|in)\s+${SOURCE}\b\s*[:\-–—]?`, 'i'),
  new RegExp(
    String.raw`\b${SOURCE}\s+(?:says?|said|reads?|read|states?|stated|wrote|writes|claims?|claimed|tells?\s+(?:me|us)(?:\s+to)?|asks?\s+(?:me|us)?\s*to|suggests?|suggested|recommends?|recommended|mentions?|mentioned|contains?|shows?)\b\s*(?:that\b)?\s*[:\-–—]?`,
    'i',
  ),
  new RegExp(String.raw`\b(?:according\s+to|quoting|quote|forwarded|fwd|pasted|copied|as\s+(?:the\s+)?(?:alert|log|message)\s+puts\s+it)\b\s*(?:${SOURCE})?\s*[:\-–—]`, 'i'),
  /(?:^|[\s,;.*_#])(?:alert|alarm|log(?: line)?|log entry|message|msg|annotation|summary|description|subject|title|body|output|error|stderr|stdout|payload|text|comment|note from \w+|transcript|earlier(?: message)?|previously|you said|i said|quote|excerpt|ticket)\s*:/i,
];
/** Injection and role-play framing: what follows is not the user's request. */
const FRAMING =
  /\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+|the\s+|your\s+|my\s+)?(?:previous|prior|above|earlier|preceding|former|system|safety)\b|\b(?:new|updated|system)\s+instructions?\s*:|\b(?:pretend|imagine|role-?play|roleplay|act\s+as|you\s+are\s+now|from\s+now\s+on\s+you|let'?s\s+play|play\s+a\s+game|in\s+a\s+(?:story|game|hypothetical)|hypothetically|as\s+a\s+joke|simulate|jailbreak|developer\s+mode|\bDAN\b)/i;
/** A trailing question about what came before ("…; is that real?", "— should I?"). */
const META_QUESTION =
  /(?:^|[\s,;:.!?\-–—])(?:(?:is|was|are|were|does|did|do|should|shall|can|could|would|will|must)\s+(?:that|this|these|those)\b[^.?!\n]{0,60}|(?:is|was)\s+it\s+(?:real|legit|legitimate|true|genuine|safe|ok|okay|right|correct|wise|a\s+good\s+idea|a\s+scam|spam|phishing)\b[^.?!\n]{0,30}|(?:what|why|how|who)\b[^.?!\n]{0,30}\b(?:that|this|it|these|those)\b[^.?!\n]{0,40}|real|legit|legitimate|true|genuine|a\s+scam|phishing|spam|(?:any\s+idea|thoughts|ideas|opinions?)\b[^.?!\n]{0,40}|should\s+(?:i|we)(?:\s+do\s+(?:it|that|this))?)\s*\?+\s*$/i;

function take(text: string, re: RegExp, quoted: string[], keepPrefix = false): string {
  return text.replace(re, (match: string, prefix?: unknown) => {
    const lead = keepPrefix && typeof prefix === 'string' ? prefix : '';
    const body = match.slice(lead.length).trim();
    if (body) quoted.push(body);
    return `${lead} `;
  });
}

/** Cuts every introducer to the end of its line; an introducer that ends its line takes the following paragraph. */
function cutIntroduced(text: string, quoted: string[]): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const hits = [...INTRODUCERS, FRAMING].map((re) => re.exec(line)).filter((m): m is RegExpExecArray => m !== null);
    if (hits.length === 0) {
      out.push(line);
      continue;
    }
    const at = Math.min(...hits.map((m) => m.index));
    const rest = line.slice(at).trim();
    if (rest) quoted.push(rest);
    out.push(line.slice(0, at));
    // "the alert says:\n<the alert>\n\n<the user again>"
    const introducedOnly = hits.some((m) => m.index === at && line.slice(m.index + m[0].length).trim() === '');
    if (introducedOnly) {
      while (i + 1 < lines.length && lines[i + 1]!.trim() !== '') quoted.push(lines[++i]!.trim());
    }
  }
  return out.join('\n');
}

export function ownText(raw: string): OwnText {
  const quoted: string[] = [];
  // Full-width letters and quotes become ASCII, so look-alike punctuation quotes like the real thing.
  let text = raw
    .normalize('NFKC')
    .replace(/[\u200b-\u200f\u2028\u2029\u2060\ufeff]/g, '')
    // Look-alike double quotes (primes, modifier letters, gershayim) quote like '"'.
    .replace(/[\u02ba\u02dd\u05f4\u2033\u2036\u201f\u301d\u301e\u301f]/g, '"');
  text = take(text, FENCED, quoted);
  text = take(text, QUOTE_LINE, quoted);
  text = take(text, INLINE_CODE, quoted);
  text = take(text, DOUBLE_QUOTED, quoted);
  text = take(text, SINGLE_QUOTED, quoted, true);
  // Nested brackets: peel from the inside out.
  for (let i = 0; i < 4 && /[([{<]/.test(text); i++) text = take(text, BRACKETED, quoted);
  text = cutIntroduced(text, quoted);
  const question = META_QUESTION.exec(text);
  if (question) {
    // "<something>; is that real?": the something is what the question is about.
    const before = text.slice(0, question.index).trim();
    if (before) quoted.push(before);
    text = question[0];
  }
  return { own: text.replace(/\s+/g, ' ').trim(), quoted };
}

/** True when the message contains material that ownText removes. */
export function hasQuotedMaterial(raw: string): boolean {
  return ownText(raw).quoted.length > 0;
}
