import { PlaceholderVault } from '../../memory/redaction/placeholderVault';
import { Redactor } from '../../memory/redaction/redactor';
import { luhnValid } from '../../memory/redaction/luhn';
import { REDACTION_CORPUS } from './support/redactionCorpus';

describe('redaction', () => {
  it('meets precision and recall on the labelled corpus (printed)', () => {
    const redactor = new Redactor();
    let tp = 0;
    let fp = 0;
    let fn = 0;
    const misses: string[] = [];
    for (const line of REDACTION_CORPUS) {
      const found = redactor.find(line.text).map((f) => `${f.kind}:${f.value}`);
      const expected = line.secrets.map((s) => `${s.kind}:${s.value}`);
      for (const f of found) {
        if (expected.includes(f)) tp++;
        else {
          fp++;
          misses.push(`false positive ${f}`);
        }
      }
      for (const e of expected) {
        if (!found.includes(e)) {
          fn++;
          misses.push(`missed ${e}`);
        }
      }
    }
    const precision = tp / (tp + fp);
    const recall = tp / (tp + fn);
    console.log(
      `redaction corpus: ${REDACTION_CORPUS.length} lines, ${tp + fn} secrets — precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}` +
        (misses.length ? `\n  ${misses.join('\n  ')}` : ''),
    );
    expect(misses).toEqual([]);
    expect(precision).toBe(1);
    expect(recall).toBe(1);
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
