import { PlaceholderVault } from '../../memory/redaction/placeholderVault';
import { Redactor } from '../../memory/redaction/redactor';
import { luhnValid } from '../../memory/redaction/luhn';
import { aadhaarValid, dniValid, ibanValid, ninoValid, ssnValid } from '../../memory/redaction/checksums';
import { SecretlintScanner } from '../../memory/redaction/secretlintRules';
import { REDACTION_CORPUS } from './support/redactionCorpus';

describe('redaction', () => {
  it('meets recall, precision and decoy-survival floors on the labelled corpus (printed)', () => {
    const redactor = new Redactor();
    const perKind = new Map<string, { caught: number; total: number }>();
    let caught = 0;
    let total = 0;
    let wrongKind = 0;
    let findings = 0;
    let falsePositives = 0;
    let decoys = 0;
    let decoysKept = 0;
    const problems: string[] = [];
    for (const line of REDACTION_CORPUS) {
      const found = redactor.find(line.text);
      const redacted = redactor.redact(line.text).text;
      const spans = line.secrets.map((s) => {
        const start = line.text.indexOf(s.value);
        return { ...s, start, end: start + s.value.length };
      });
      for (const s of spans) {
        expect(s.start).toBeGreaterThanOrEqual(0); // the corpus itself is consistent
        const k = perKind.get(s.kind) ?? { caught: 0, total: 0 };
        k.total++;
        total++;
        const cover = found.find((f) => f.start <= s.start && f.end >= s.end);
        if (cover) {
          k.caught++;
          caught++;
          if (cover.kind !== s.kind) {
            wrongKind++;
            problems.push(`kind ${cover.kind} for ${s.kind}: ${s.value.slice(0, 24)}...`);
          }
        } else problems.push(`missed ${s.kind}: ${JSON.stringify(line.text.slice(0, 90))}`);
        perKind.set(s.kind, k);
      }
      for (const f of found) {
        findings++;
        if (!spans.some((s) => f.start < s.end && f.end > s.start)) {
          falsePositives++;
          problems.push(`false positive ${f.kind}: ${JSON.stringify(f.value)} in ${JSON.stringify(line.text.slice(0, 90))}`);
        }
      }
      for (const d of line.decoys ?? []) {
        decoys++;
        if (redacted.includes(d)) decoysKept++;
        else problems.push(`decoy damaged: ${JSON.stringify(d)} -> ${JSON.stringify(redacted.slice(0, 90))}`);
      }
    }
    const recall = caught / total;
    const precision = (findings - falsePositives) / findings;
    const survival = decoysKept / decoys;
    const kinds = [...perKind.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, k]) => `${kind} ${k.caught}/${k.total}`)
      .join(', ');
    console.log(
      `redaction corpus: ${REDACTION_CORPUS.length} lines, ${total} secrets, ${decoys} decoys\n` +
        `  recall ${recall.toFixed(3)}, precision ${precision.toFixed(3)}, decoy survival ${survival.toFixed(3)}, kind mismatches ${wrongKind}\n` +
        `  per kind: ${kinds}` +
        (problems.length ? `\n  ${problems.join('\n  ')}` : ''),
    );
    expect(REDACTION_CORPUS.length).toBeGreaterThanOrEqual(200);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    expect(precision).toBeGreaterThanOrEqual(0.95);
    expect(survival).toBe(1);
    // The kinds issue 17 found leaking: every instance must be caught.
    for (const kind of ['GITHUB_TOKEN', 'SLACK_TOKEN', 'AWS_SECRET', 'STRIPE_KEY', 'NPM_TOKEN', 'BASIC_AUTH', 'PASSWORD', 'IBAN', 'SSN']) {
      const k = perKind.get(kind);
      expect({ kind, caught: k?.caught }).toEqual({ kind, caught: k?.total });
    }
  });

  it('measures speed on the corpus (printed, not asserted)', () => {
    const redactor = new Redactor();
    const lines = REDACTION_CORPUS.map((l) => l.text);
    for (const l of lines) redactor.redact(l); // warm up the regex engine
    const rounds = 5;
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) for (const l of lines) redactor.redact(l);
    const ms = ((performance.now() - t0) / (rounds * lines.length)) * 1000;
    console.log(`redaction speed: ${ms.toFixed(1)} ms per 1000 lines (${lines.length} lines x ${rounds})`);
    expect(ms).toBeGreaterThan(0);
  });

  it('drives every secretlint rule synchronously', () => {
    const scanner = new SecretlintScanner();
    expect(scanner.ruleIds).toEqual(expect.arrayContaining(['@secretlint/secretlint-rule-github', '@secretlint/secretlint-rule-slack', '@secretlint/secretlint-rule-npm']));
    for (const line of REDACTION_CORPUS) scanner.scan(line.text);
    expect([...scanner.asyncRules]).toEqual([]);
  });

  it('checks IBAN, SSN and national-id checksums', () => {
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB83 WEST 1234 5698 7654 32')).toBe(false);
    expect(ssnValid('123-45-6789')).toBe(true);
    for (const bad of ['000-45-6789', '666-45-6789', '900-45-6789', '123-00-6789', '123-45-0000']) expect(ssnValid(bad)).toBe(false);
    expect(dniValid('12345678Z')).toBe(true);
    expect(dniValid('12345678A')).toBe(false);
    expect(ninoValid('AB123456C')).toBe(true);
    expect(ninoValid('BG123456C')).toBe(false);
    expect(aadhaarValid('2345 6789 0124')).toBe(true);
    expect(aadhaarValid('2345 6789 0125')).toBe(false);
  });

  it('redacts keyword-anchored values by entropy and keeps placeholders, references and metadata', () => {
    const r = new Redactor();
    expect(r.redact('password: hunter2x').text).toBe('password: <PASSWORD_1>');
    expect(r.redact('"client_secret": "Qx7vP2mLr9tZk4Wc"').text).toBe('"client_secret": "<SECRET_1>"');
    for (const keep of ['password: ${DB_PASSWORD}', 'token_ttl: 3600', 'api_key: null', 'password: <PASSWORD_1>', 'token: 2026-01-02T10:32:00Z']) {
      expect(r.redact(keep).text).toBe(keep);
    }
  });

  it('uses stable per-session placeholders and restores the user their values', () => {
    const redactor = new Redactor();
    const vault = new PlaceholderVault();
    const a = redactor.redact('mail alice@example.com and bob@example.com', vault);
    const b = redactor.redact('did alice@example.com answer?', vault);
    expect(a.text).toBe('mail <EMAIL_1> and <EMAIL_2>');
    expect(b.text).toBe('did <EMAIL_1> answer?');
    expect(vault.restore('I wrote to <EMAIL_1>, not <EMAIL_9>')).toBe('I wrote to alice@example.com, not <EMAIL_9>');
    // A vault rebuilt from its entries (the short-term tier) continues the numbering.
    const again = new PlaceholderVault(vault.entries());
    expect(redactor.redact('carol@example.com', again).text).toBe('<EMAIL_3>');
  });

  it('redacts IPs only when configured', () => {
    expect(new Redactor().redact('host 10.0.0.7 down').text).toBe('host 10.0.0.7 down');
    expect(new Redactor({ redactIps: true }).redact('host 10.0.0.7 down, fe80:0:0:0:202:b3ff:fe1e:8329').text).toBe('host <IP_1> down, <IP_2>');
  });

  it('keeps the host when a URL password is removed', () => {
    expect(new Redactor().redact('postgres://app:s3cr3t@db:5432/x').text).toBe('postgres://app:<URL_PASSWORD_1>@db:5432/x');
  });

  it('checks card numbers with Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });
});
