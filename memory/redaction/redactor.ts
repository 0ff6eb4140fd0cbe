import { DETECTORS, detect, type Detector, type Finding, type SecretKind } from './detectors';
import { PlaceholderVault } from './placeholderVault';

export interface RedactorOptions {
  /** IP addresses are operational data for an SRE tool, so they are kept unless configured. */
  redactIps?: boolean;
}

export interface Redaction {
  text: string;
  findings: { kind: SecretKind; placeholder: string }[];
}

/**
 * The single gate in front of logs, memory and LLM prompts. `redact` replaces every finding with
 * a placeholder from the session's vault (a fresh vault when none is given: irreversible).
 */
export class Redactor {
  private readonly detectors: readonly Detector[];

  constructor(options: RedactorOptions = {}) {
    this.detectors = options.redactIps ? DETECTORS : DETECTORS.filter((d) => d.kind !== 'IP');
  }

  find(text: string): Finding[] {
    return detect(text, this.detectors);
  }

  redact(text: string, vault: PlaceholderVault = new PlaceholderVault()): Redaction {
    const findings = this.find(text);
    if (findings.length === 0) return { text, findings: [] };
    let out = '';
    let cursor = 0;
    const report: Redaction['findings'] = [];
    for (const f of findings) {
      const placeholder = vault.placeholderFor(f.kind, f.value);
      out += text.slice(cursor, f.start) + placeholder;
      cursor = f.end;
      report.push({ kind: f.kind, placeholder });
    }
    return { text: out + text.slice(cursor), findings: report };
  }
}

let processRedactor: Redactor | undefined;

/**
 * One Redactor per process for callers without a session vault (log lines, LLM prompts built from
 * live query results): the ruleset is compiled once, and placeholders are irreversible there.
 */
export function sharedRedactor(): Redactor {
  processRedactor ??= new Redactor();
  return processRedactor;
}
