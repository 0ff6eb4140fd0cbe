import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * promtool (Debian's prometheus package) checks the copilot's own alert rules and runs their unit
 * tests (deploy/prometheus/copilot-rules.test.yml). A broken rule must fail here: the second test
 * feeds promtool a copy whose expected alert is wrong and expects it to say so.
 */
const DIR = path.resolve(__dirname, '../../deploy/prometheus');

function promtool(args: string[], cwd = DIR): { ok: boolean; output: string } {
  try {
    return { ok: true, output: execFileSync('promtool', args, { cwd, encoding: 'utf8', stdio: 'pipe' }) };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

test('promtool check rules accepts copilot-rules.yml', () => {
  const result = promtool(['check', 'rules', 'copilot-rules.yml']);
  expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
  expect(result.ok).toBe(true);
});

test('promtool test rules passes, and fails when an expectation is wrong', () => {
  const good = promtool(['test', 'rules', 'copilot-rules.test.yml']);
  expect(good.output).toContain('SUCCESS');
  expect(good.ok).toBe(true);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'copilot-rules-'));
  try {
    writeFileSync(path.join(dir, 'copilot-rules.yml'), readFileSync(path.join(DIR, 'copilot-rules.yml')));
    const tests = readFileSync(path.join(DIR, 'copilot-rules.test.yml'), 'utf8').replace('instance: "w1:9464" }', 'instance: "w2:9464" }');
    writeFileSync(path.join(dir, 'copilot-rules.test.yml'), tests);
    const bad = promtool(['test', 'rules', 'copilot-rules.test.yml'], dir);
    expect(bad.ok).toBe(false);
    expect(bad.output).toContain('CopilotWorkerDown');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
