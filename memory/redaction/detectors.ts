import { aadhaarValid, dniValid, ibanValid, ninoValid, shannonEntropy, ssnValid } from './checksums';
import { luhnValid } from './luhn';
import { SecretlintScanner, type RuleHit } from './secretlintRules';

/**
 * What counts as secret or personal. Vendor token formats come from secretlint's maintained
 * recommended preset (`secretlintRules.ts`); the detectors here cover what that preset has no rule
 * for (Stripe, PyPI, Azure, Twilio, GCP API keys, Basic auth headers, unlabelled AWS secrets),
 * keyword-anchored values (`password: …`, `API_KEY=…`) and personal data, each with its checksum
 * where one exists. Order matters: earlier stages win overlapping matches (a JWT inside a bearer
 * header is one BEARER finding; a password inside a URL is replaced without eating the host).
 */
export type SecretKind =
  | 'PRIVATE_KEY'
  | 'URL_PASSWORD'
  | 'BEARER'
  | 'BASIC_AUTH'
  | 'JWT'
  | 'AWS_KEY'
  | 'AWS_SECRET'
  | 'GCP_KEY'
  | 'GITHUB_TOKEN'
  | 'GITLAB_TOKEN'
  | 'SLACK_TOKEN'
  | 'NPM_TOKEN'
  | 'STRIPE_KEY'
  | 'PYPI_TOKEN'
  | 'DOCKER_TOKEN'
  | 'TWILIO_KEY'
  | 'SENDGRID_KEY'
  | 'OPENAI_KEY'
  | 'ANTHROPIC_KEY'
  | 'AZURE_KEY'
  | 'PASSWORD'
  | 'SECRET'
  | 'EMAIL'
  | 'IBAN'
  | 'SSN'
  | 'NATIONAL_ID'
  | 'CARD'
  | 'PHONE'
  | 'IP'
  // Any other rule of the preset: named after it (GROQ_TOKEN, HASHICORP_VAULT_TOKEN, …).
  | `${string}_TOKEN`;

export interface Finding {
  kind: SecretKind;
  start: number;
  end: number;
  value: string;
}

export interface PatternDetector {
  kind: SecretKind;
  pattern: RegExp;
  /** The capture group holding the secret (default: the whole match). */
  group?: number;
  /** Kind chosen per match (e.g. PASSWORD vs SECRET by the key name). */
  kindOf?: (match: RegExpMatchArray) => SecretKind;
  accept?: (value: string, match: RegExpMatchArray) => boolean;
}

/** A stage that finds its own spans (the secretlint preset). */
export interface ScannerDetector {
  kind: 'SCANNER';
  scan: (text: string) => Omit<Finding, 'value'>[];
}

export type Detector = PatternDetector | ScannerDetector;

const digitsOf = (s: string): string => s.replace(/\D/g, '');

// --- secretlint preset ---------------------------------------------------------------------------

const RULE_KIND: Record<string, SecretKind> = {
  aws: 'AWS_SECRET',
  github: 'GITHUB_TOKEN',
  gitlab: 'GITLAB_TOKEN',
  slack: 'SLACK_TOKEN',
  npm: 'NPM_TOKEN',
  basicauth: 'URL_PASSWORD',
  'database-connection-string': 'URL_PASSWORD',
  openai: 'OPENAI_KEY',
  anthropic: 'ANTHROPIC_KEY',
  sendgrid: 'SENDGRID_KEY',
  docker: 'DOCKER_TOKEN',
  privatekey: 'PRIVATE_KEY',
  gcp: 'PRIVATE_KEY',
  '1password': 'ONEPASSWORD_TOKEN',
};

// Account ids are operational (they appear in every ARN), not secret.
const IGNORED_MESSAGES = new Set(['AWSAccountID']);
// These rules report the capture group's length at the start of the whole labelled match.
const LABELLED_MESSAGES = new Set(['AWSSecretAccessKey', 'Npmrc_authToken']);

function kindOfRule(hit: RuleHit): SecretKind {
  if (hit.messageId === 'AWSAccessKeyID') return 'AWS_KEY';
  const name = hit.ruleId.replace('@secretlint/secretlint-rule-', '');
  return RULE_KIND[name] ?? `${name.toUpperCase().replace(/[^A-Z]+/g, '_')}_TOKEN`;
}

export function secretlintDetector(scanner = new SecretlintScanner()): ScannerDetector {
  return {
    kind: 'SCANNER',
    scan: (text) =>
      scanner.scan(text).flatMap((hit) => {
        if (IGNORED_MESSAGES.has(hit.messageId)) return [];
        let { start, end } = hit;
        if (LABELLED_MESSAGES.has(hit.messageId)) {
          const connector = /^[^=:\n]*?(?:=>|[:=])\s*["']?/.exec(text.slice(start));
          if (!connector) return [];
          start += connector[0].length;
          end = start + (hit.end - hit.start);
        }
        return [{ kind: kindOfRule(hit), start, end }];
      }),
  };
}

// --- keyword-anchored values ---------------------------------------------------------------------

const PASSWORD_WORDS = /^(?:password|passwd|pwd|passphrase)$/i;
const SECRET_WORDS =
  /^(?:password|passwd|pwd|passphrase|secret|token|apikey|api_key|api-key|access_key|access-key|accesskey|private_key|private-key|privatekey|client_secret|clientsecret|credentials?)$/i;
// A key may end in one of these after the secret word (`DB_PASSWORD`, `secret_key`); anything else
// (`token_ttl`, `password_file`, `secret_name`) names metadata, not the secret.
const SECRET_SUFFIXES = new Set(['', 'key', 'value', 'b64', 'base64', 'hex', 'str', 'string']);
const NOT_A_VALUE = /^(?:null|nil|none|true|false|yes|no|required|optional|redacted|hidden|masked|example|empty|undefined|unset|string|\*+|x+|\.+)$/i;
const DECOY_SHAPES = [
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, // UUID
  /^v?\d+(?:\.\d+){1,3}(?:[-+][\w.]+)?$/, // semver / versions
  /^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/, // timestamps
  /^\d+$/, // counts, ports, durations
];

/** Splits `aws_secret_access_key` / `clientSecret` into words and finds the secret word in it. */
function secretKeyClass(key: string): 'PASSWORD' | 'SECRET' | undefined {
  const words = key
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[_.\-\s]+/)
    .filter(Boolean);
  for (let i = words.length - 1; i >= 0; i--) {
    for (const span of [2, 1]) {
      if (i - span + 1 < 0) continue;
      const word = words.slice(i - span + 1, i + 1).join('_');
      if (!SECRET_WORDS.test(word)) continue;
      const suffix = words.slice(i + 1).join('_');
      if (!SECRET_SUFFIXES.has(suffix)) return undefined;
      return PASSWORD_WORDS.test(word) ? 'PASSWORD' : 'SECRET';
    }
  }
  return undefined;
}

/** The value after a secret-ish key is a secret when it is long and random enough. */
export function keywordValueIsSecret(keyClass: 'PASSWORD' | 'SECRET', value: string): boolean {
  if (NOT_A_VALUE.test(value) || /^[<$%{[]/.test(value) || value.includes('://') || /^[.~]?\//.test(value)) return false;
  if (DECOY_SHAPES.some((re) => re.test(value))) return false;
  const entropy = shannonEntropy(value);
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(value)).length;
  // People choose passwords, so short and low-entropy values count; tokens are machine-made.
  if (keyClass === 'PASSWORD') return value.length >= 6 && entropy >= 2.0 && (classes >= 2 || value.length >= 10);
  return value.length >= 12 && entropy >= 3.0 && classes >= 2;
}

// The key must contain a secret word, so an ordinary `db:` key before a nested `password:` line
// cannot swallow it; secretKeyClass then checks where in the key the word sits.
const KEY = String.raw`[A-Za-z0-9_.-]{0,40}?(?:passw(?:or)?d|pwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]{0,20}`;
const KEYWORD_PATTERN = new RegExp(
  String.raw`(?<![A-Za-z0-9_-])(?:--)?("${KEY}"|'${KEY}'|${KEY})[ \t]*(?:=>|:=|[:=])[ \t]*(?:"([^"\n]{1,256})"|'([^'\n]{1,256})'|([^\s"',;}\])]{1,256}))`,
  'gi',
);

const keyOf = (m: RegExpMatchArray): string => (m[1] ?? '').replace(/^["']|["']$/g, '');
const valueGroupOf = (m: RegExpMatchArray): number => (m[2] !== undefined ? 2 : m[3] !== undefined ? 3 : 4);

export const KEYWORD_DETECTOR: PatternDetector = {
  kind: 'SECRET',
  pattern: KEYWORD_PATTERN,
  group: -1,
  kindOf: (m) => secretKeyClass(keyOf(m)) ?? 'SECRET',
  accept: (value, m) => {
    const cls = secretKeyClass(keyOf(m));
    return cls !== undefined && keywordValueIsSecret(cls, value);
  },
};

function basicCredentials(b64: string): boolean {
  const decoded = Buffer.from(b64, 'base64').toString('utf8');
  return /^[\x20-\x7e]+:[\x20-\x7e]*$/.test(decoded);
}

function looksLikeAwsSecret(v: string): boolean {
  return /[a-z]/.test(v) && /[A-Z]/.test(v) && /\d/.test(v) && shannonEntropy(v) >= 4.2;
}

export const DETECTORS: readonly Detector[] = [
  {
    kind: 'PRIVATE_KEY',
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  },
  // scheme://user:password@host — only the password goes.
  { kind: 'URL_PASSWORD', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:([^\s@/]+)@/gi, group: 1 },
  { kind: 'BEARER', pattern: /\bBearer\s+([A-Za-z0-9\-._~+/]{8,}=*)/g, group: 1 },
  {
    kind: 'BASIC_AUTH',
    pattern: /\bBasic\s+([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])/g,
    group: 1,
    accept: basicCredentials,
  },
  { kind: 'JWT', pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g },
  secretlintDetector(),
  { kind: 'STRIPE_KEY', pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}\b|\bwhsec_[A-Za-z0-9]{24,}\b/g },
  // The preset's SendGrid rule misses keys with '-' in the first segment.
  { kind: 'SENDGRID_KEY', pattern: /\bSG\.[\w-]{22}\.[\w-]{43}(?![\w-])/g },
  { kind: 'PYPI_TOKEN', pattern: /\bpypi-AgE[A-Za-z0-9_-]{50,}/g },
  { kind: 'OPENAI_KEY', pattern: /\bsk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}|\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}/g },
  { kind: 'ANTHROPIC_KEY', pattern: /\bsk-ant-(?:api|admin|oat)\d{2}-[A-Za-z0-9_-]{40,}/g },
  { kind: 'AZURE_KEY', pattern: /\bAccountKey=([A-Za-z0-9+/]{80,90}={0,2})/g, group: 1 },
  { kind: 'AZURE_KEY', pattern: /[?&]sig=([A-Za-z0-9%+/=]{30,})/g, group: 1 },
  { kind: 'AZURE_KEY', pattern: /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/g },
  { kind: 'TWILIO_KEY', pattern: /\bSK[0-9a-fA-F]{32}\b/g },
  { kind: 'GCP_KEY', pattern: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g },
  { kind: 'AWS_KEY', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|A3T[A-Z0-9])[A-Z0-9]{16}\b/g },
  // Any spelling of the label (AWS_SECRET_KEY, secretAccessKey, aws-secret) before 40 base64 chars.
  {
    kind: 'AWS_SECRET',
    pattern: /(?:aws|secret)[\w.-]{0,30}?["']?\s*(?:=>|[:=])\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
    accept: looksLikeAwsSecret,
  },
  KEYWORD_DETECTOR,
  { kind: 'EMAIL', pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g },
  {
    kind: 'IBAN',
    pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g,
    accept: ibanValid,
  },
  { kind: 'NATIONAL_ID', pattern: /(?<![\w-])[2-9]\d{3}[ -]\d{4}[ -]\d{4}(?![\w-])/g, accept: aadhaarValid },
  { kind: 'SSN', pattern: /(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])/g, accept: ssnValid },
  { kind: 'SSN', pattern: /\bSSN\s*[:#=]?\s*(\d{9})\b/gi, group: 1, accept: ssnValid },
  { kind: 'NATIONAL_ID', pattern: /\b[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g, accept: ninoValid },
  { kind: 'NATIONAL_ID', pattern: /\b[XYZ]?\d{7,8}[A-Z]\b/g, accept: dniValid },
  {
    kind: 'CARD',
    pattern: /\b(?:\d[ -]?){12,18}\d\b/g,
    accept: (v) => {
      const d = digitsOf(v);
      return d.length >= 13 && d.length <= 19 && luhnValid(d);
    },
  },
  {
    kind: 'PHONE',
    // +country or (area) forms, 3-3-4 groups, or trunk-0 national numbers; bare digit runs are
    // not phones (ids, ports).
    pattern: /(?<![\w.])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}(?![\w.])/g,
    accept: (v) => {
      const n = digitsOf(v).length;
      if (n < 9 || n > 15) return false;
      return /[+(]/.test(v) || /\d{3}[ .-]\d{3}[ .-]\d{4}/.test(v) || (/^0\d/.test(v) && n >= 10 && n <= 11);
    },
  },
  // International numbers in many short groups (+33 6 12 34 56 78).
  {
    kind: 'PHONE',
    pattern: /(?<![\w.+])\+\d{1,3}(?:[ .-]\d{1,4}){3,6}(?![\w.])/g,
    accept: (v) => digitsOf(v).length >= 9 && digitsOf(v).length <= 15,
  },
  // E.164 without separators (+14155552671), as SMS gateways and Twilio log them.
  { kind: 'PHONE', pattern: /(?<![\w+])\+[1-9]\d{9,14}(?!\d)/g },
  // An AWS secret pasted without its label: 40 base64 chars, mixed case and digits, high entropy.
  {
    kind: 'AWS_SECRET',
    pattern: /(?<![A-Za-z0-9/+=_-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_-])/g,
    accept: looksLikeAwsSecret,
  },
  {
    kind: 'IP',
    pattern: /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b|\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b/gi,
  },
];

/** Every non-overlapping finding, earlier detectors first, then left to right. */
export function detect(text: string, detectors: readonly Detector[]): Finding[] {
  const taken: Finding[] = [];
  const overlaps = (s: number, e: number) => taken.some((f) => s < f.end && e > f.start);
  const take = (kind: SecretKind, start: number, end: number) => {
    if (end <= start || overlaps(start, end)) return;
    taken.push({ kind, start, end, value: text.slice(start, end) });
  };
  for (const detector of detectors) {
    if (detector.kind === 'SCANNER') {
      for (const f of detector.scan(text)) take(f.kind, f.start, f.end);
      continue;
    }
    detector.pattern.lastIndex = 0;
    for (const match of text.matchAll(detector.pattern)) {
      const group = detector.group === -1 ? valueGroupOf(match) : (detector.group ?? 0);
      const value = match[group];
      if (value === undefined || match.index === undefined) continue;
      // The value is the last occurrence inside the match: the key before it may contain it.
      const start = match.index + (group === 0 ? 0 : match[0].lastIndexOf(value));
      if (detector.accept && !detector.accept(value, match)) continue;
      take(detector.kindOf ? detector.kindOf(match) : detector.kind, start, start + value.length);
    }
  }
  return taken.sort((a, b) => a.start - b.start);
}
