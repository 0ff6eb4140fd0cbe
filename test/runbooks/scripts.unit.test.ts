import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** The demo stand-in scripts: they must run as command steps do (argv, no shell) and reject bad input. */
const SCRIPTS = path.resolve(__dirname, '../../runbooks/scripts');

function run(script: string, ...args: string[]) {
  const result = spawnSync(path.join(SCRIPTS, script), args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('runbooks/scripts', () => {
  it.each([
    ['build.sh', ['web', '1.2.3'], /build: done \(registry\.example\.internal\/web:1\.2\.3\)/],
    ['restart.sh', ['web', 'production'], /restart: rollout complete/],
    ['restart.sh', ['--verify', 'web', 'staging'], /replicas ready/],
    ['scale.sh', ['web', 'staging', '--replicas=7'], /7 replicas available/],
    ['run-tests.sh', ['web', 'unit'], /128 passed, 0 failed/],
    ['coverage.sh', ['web', '--min=10'], /^coverage: \d+%$/m],
    ['generate-tests.sh', ['web'], /describe\('web handler'/],
  ])('%s %j succeeds', (script, args, output) => {
    const result = run(script, ...args);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(output);
  });

  it.each([
    ['build.sh', ['Bad Name', '1.0'], 65, /invalid service name/],
    ['build.sh', ['web'], 64, /usage:/],
    ['restart.sh', ['web', 'prod'], 65, /unknown environment 'prod'/],
    ['scale.sh', ['web', 'staging', '--replicas=101'], 65, /replicas must be a whole number 0\.\.100/],
    ['scale.sh', ['web', 'staging', '5'], 64, /usage:/],
    ['run-tests.sh', ['web', 'smoke'], 65, /unknown suite 'smoke'/],
    ['coverage.sh', ['web', '--min=100'], 1, /below the minimum of 100%/],
    ['generate-tests.sh', ['Bad'], 65, /invalid service name/],
  ])('%s %j fails with a message', (script, args, code, message) => {
    const result = run(script, ...args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });
});
