import { luhnValid } from './luhn';

/**
 * What counts as secret or personal, one detector per kind. Order matters: earlier detectors win
 * overlapping matches (a JWT inside a bearer header is one BEARER finding; a password inside a URL
 * is replaced without eating the host). Patterns are anchored on shapes that real values have
 * (prefixes like AKIA, PEM armour, Luhn for cards) to keep false positives low.
 */
export type SecretKind =
  | 'PRIVATE_KEY'
  | 'URL_PASSWORD'
  | 'BEARER'
  | 'JWT'
  | 'AWS_KEY'
  | 'AWS_SECRET'
  | 'GCP_KEY'
  | 'EMAIL'
  | 'CARD'
  | 'PHONE'
  | 'IP';

export interface Finding {
  kind: SecretKind;
  start: number;
  end: number;
  value: string;
}

export interface Detector {
  kind: SecretKind;
  pattern: RegExp;
  /** The capture group holding the secret (default: the whole match). */
  group?: number;
  accept?: (value: string) => boolean;
}

const digitsOf = (s: string): string => s.replace(/\D/g, '');

export const DETECTORS: readonly Detector[] = [
  {
    kind: 'PRIVATE_KEY',
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  },
  // scheme://user:password@host — only the password goes.
  { kind: 'URL_PASSWORD', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:([^\s@/]+)@/gi, group: 1 },
  { kind: 'BEARER', pattern: /\bBearer\s+([A-Za-z0-9\-._~+/]{8,}=*)/g, group: 1 },
  { kind: 'JWT', pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g },
  { kind: 'AWS_KEY', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b/g },
  // A 40-char base64-ish string right after an AWS secret key label.
  {
    kind: 'AWS_SECRET',
    pattern: /aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    group: 1,
  },
  { kind: 'GCP_KEY', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: 'EMAIL', pattern: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g },
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
    // +country or (area) forms, or 3-3-4 groups; bare digit runs are not phones (ids, ports).
    pattern: /(?<![\w.])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}(?![\w.])/g,
    accept: (v) => {
      const n = digitsOf(v).length;
      return n >= 9 && n <= 15 && (/[+(]/.test(v) || /\d{3}[ .-]\d{3}[ .-]\d{4}/.test(v));
    },
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
  for (const detector of detectors) {
    detector.pattern.lastIndex = 0;
    for (const match of text.matchAll(detector.pattern)) {
      const group = detector.group ?? 0;
      const value = match[group];
      if (value === undefined || match.index === undefined) continue;
      const start = match.index + (group === 0 ? 0 : match[0].indexOf(value));
      const end = start + value.length;
      if (detector.accept && !detector.accept(value)) continue;
      if (overlaps(start, end)) continue;
      taken.push({ kind: detector.kind, start, end, value });
    }
  }
  return taken.sort((a, b) => a.start - b.start);
}
