import * as preset from '@secretlint/secretlint-rule-preset-recommend';

/**
 * secretlint's recommended preset, driven synchronously. `@secretlint/core` only offers an async
 * `lintSource`, but every text rule of the preset does its matching inside a synchronous
 * `file(source)` handler (only GCP's .p12/.json checks are async, and we never pass those
 * extensions). So the rules are instantiated once and called directly, which keeps
 * `Redactor.redact` synchronous for its many callers. Upgrading the preset upgrades the vendor
 * formats we recognise without touching our code.
 */

export interface RuleHit {
  ruleId: string;
  messageId: string;
  start: number;
  end: number;
}

interface Report {
  message: { id?: string } | string;
  range: readonly [number, number];
}

interface FileHandler {
  file?(source: { content: string; filePath: string; ext: string; contentType: 'text' }): unknown;
}

// AWS key ids are off by default in the preset (they are not secret alone); we still redact them.
const RULE_OPTIONS: Record<string, object> = { '@secretlint/secretlint-rule-aws': { enableIDScanRule: true } };
// Comment filters only silence other rules in source files; log and chat text has no such comments.
const SKIPPED = new Set(['@secretlint/secretlint-rule-filter-comments']);

/** The part of secretlint's rule contract we use (its types package is not a runtime dependency). */
interface RuleCreator {
  meta: { id: string; supportedContentTypes: string[] };
  create(context: unknown, options: object): FileHandler;
}
const recommendedRules = (preset as unknown as { rules: RuleCreator[] }).rules;

interface Instance {
  ruleId: string;
  handler: FileHandler;
  sink: { hits: RuleHit[] };
}

export class SecretlintScanner {
  private readonly instances: Instance[];
  readonly asyncRules = new Set<string>();

  constructor() {
    this.instances = recommendedRules
      .filter((rule) => !SKIPPED.has(rule.meta.id) && rule.meta.supportedContentTypes.some((t) => t !== 'binary'))
      .map((rule) => {
        const ruleId = rule.meta.id;
        const sink: { hits: RuleHit[] } = { hits: [] };
        const context = {
          sharedOptions: {},
          // Message text would embed the secret; only the message id is kept.
          createTranslator: () => (id: string) => ({ id, message: id }),
          report: (r: Report) => {
            const messageId = typeof r.message === 'string' ? r.message : (r.message.id ?? '');
            sink.hits.push({ ruleId, messageId, start: r.range[0], end: r.range[1] });
          },
          ignore: () => undefined,
        };
        const options = RULE_OPTIONS[ruleId] ?? {};
        const handler = rule.create(context, options);
        return { ruleId, handler, sink };
      });
  }

  get ruleIds(): string[] {
    return this.instances.map((i) => i.ruleId);
  }

  scan(content: string): RuleHit[] {
    const out: RuleHit[] = [];
    const source = { content, filePath: 'redact.txt', ext: '.txt', contentType: 'text' as const };
    for (const inst of this.instances) {
      inst.sink.hits = [];
      const result = inst.handler.file?.(source);
      // A rule that turns async in a new preset version would report too late to redact; it is
      // recorded (the test asserts there are none) rather than thrown into a logging call.
      if (result instanceof Promise) {
        result.catch(() => undefined);
        this.asyncRules.add(inst.ruleId);
      }
      out.push(...inst.sink.hits);
    }
    return out;
  }
}
