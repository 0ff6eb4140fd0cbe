import { Writable } from 'node:stream';
import { createLogger } from '../../api/logger';

/** Free text in log lines goes through the Redactor: messages, string arguments, error messages and stacks. */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination, name: 'test' }), lines };
}

// Fake values in the vendors' documented formats.
const GITHUB = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const SLACK = 'xoxb-' + '123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';

test('messages, interpolated arguments and errors are redacted; ordinary text is kept', () => {
  const { logger, lines } = capture();
  logger.info(`command failed: git clone https://x:${GITHUB}@github.com/org/repo`);
  logger.warn('backend said %s', `invalid_auth for ${SLACK}`);
  logger.error({ err: new Error(`Slack answered 401 for token ${SLACK}`) }, 'notify failed');
  logger.info({ runId: 'run-1b4e28ba-2fa1-11d2-883f-0016d3cca427' }, 'run started for checkout v2.3.1');
  const text = lines.join('');
  expect(text).not.toContain(GITHUB);
  expect(text).not.toContain(SLACK);
  expect(text).toContain('github.com/org/repo');
  expect(text).toContain('notify failed');
  expect(text).toContain('run-1b4e28ba-2fa1-11d2-883f-0016d3cca427');
  expect(text).toContain('run started for checkout v2.3.1');
  const error = JSON.parse(lines[2]!) as { err: { message: string; stack: string; type: string } };
  expect(error.err.type).toBe('Error');
  expect(error.err.message).toMatch(/^Slack answered 401 for token <[A-Z_]+_1>$/);
  expect(error.err.stack).not.toContain(SLACK);
});
