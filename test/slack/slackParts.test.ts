import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../config/env';
import { escapeText, gateCardBlocks } from '../../slack/blocks';
import { parseSlackUsers, SlackIdentity } from '../../slack/identity';
import { createSlackReceiver } from '../../slack/receiver';
import { slackEnabled } from '../../slack/slackWiring';
import { slackFailure, SLACK_FAILURE } from '../../slack/webApi';

/** The Slack surface's parts that need no Slack: identity, escaping, error mapping, Socket Mode construction. */

test('SLACK_USERS parses like AUTH_TOKENS and names the bad entry', () => {
  const users = parseSlackUsers('U01ALICE=alice:operator+approver, W02BOB=bob:viewer');
  expect(users.get('U01ALICE')).toEqual({ sub: 'alice', roles: ['operator', 'approver'] });
  expect(users.get('W02BOB')).toEqual({ sub: 'bob', roles: ['viewer'] });
  expect(() => parseSlackUsers('alice=alice:operator')).toThrow(/entry 1: "alice" is not a Slack user id/);
  expect(() => parseSlackUsers('U01A=alice:root')).toThrow(/unknown role "root"/);
  expect(() => parseSlackUsers('U01A=alice:viewer,U01A=al:viewer')).toThrow(ConfigError);
});

test('identity: configuration first, then the table, then the default role (off unless set)', async () => {
  const table = {
    getUser: async (id: string) => (id === 'UTABLE' ? { slackUserId: id, subject: 'tina', roles: ['approver' as const], updatedBy: 'ada', updatedAt: '' } : undefined),
  };
  const users = parseSlackUsers('UCONF=carl:operator');
  const strict = new SlackIdentity(users, table, undefined);
  expect(await strict.resolve('UCONF')).toMatchObject({ sub: 'carl', roles: ['operator'], source: 'config' });
  expect(await strict.resolve('UTABLE')).toMatchObject({ sub: 'tina', roles: ['approver'], source: 'table' });
  expect(await strict.resolve('UNOBODY')).toBeUndefined();
  const open = new SlackIdentity(users, table, 'viewer');
  expect(await open.resolve('UNOBODY')).toEqual({ sub: 'slack:UNOBODY', roles: ['viewer'], source: 'default' });
});

test('untrusted text in a card cannot ping, mention or forge a link', () => {
  expect(escapeText('<!here> <@U123> <https://evil|click> & co')).toBe('&lt;!here&gt; &lt;@U123&gt; &lt;https://evil|click&gt; &amp; co');
  const blocks = JSON.stringify(
    gateCardBlocks(
      {
        runId: 'run-1',
        runbook: 'deploy',
        params: { note: '<!channel>' },
        requestedBy: '<@UEVIL>',
        gateId: 'approve',
        message: '<https://x|y>',
        roles: ['approver'],
        count: 1,
        fourEyes: true,
        expiresAt: '2030-01-01T00:00:00.000Z',
      },
      { temporalUiUrl: 'http://ui', namespace: 'default' },
    ),
  );
  expect(blocks).not.toContain('<!channel>');
  expect(blocks).not.toContain('<@UEVIL>');
  expect(blocks).not.toContain('<https://x|y>');
});

test('Slack errors become Temporal failures: 429 waits Retry-After, permanent errors are not retried', () => {
  const limited = slackFailure({ code: 'slack_webapi_rate_limited_error', retryAfter: 7 }, 'chat.postMessage');
  expect(limited.type).toBe(SLACK_FAILURE.rateLimited);
  expect(limited.nextRetryDelay).toBe(7000);
  expect(limited.nonRetryable).toBe(false);
  const gone = slackFailure({ code: 'slack_webapi_platform_error', data: { error: 'channel_not_found' } }, 'chat.postMessage');
  expect(gone.nonRetryable).toBe(true);
  const flaky = slackFailure({ code: 'slack_webapi_platform_error', data: { error: 'internal_error' } }, 'chat.update');
  expect(flaky.nonRetryable).toBe(false);
  expect(JSON.stringify([limited, gone, flaky].map((f) => f.message))).not.toContain('xoxb');
});

test('enabled only with a bot token and a signing secret or an app token; Socket Mode is built without connecting', async () => {
  const base = { TASK_QUEUE: 'q' };
  expect(slackEnabled(loadConfig({ ...base, SLACK_BOT_TOKEN: 'xoxb-1' }))).toBe(false);
  expect(slackEnabled(loadConfig({ ...base, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }))).toBe(true);
  expect(slackEnabled(loadConfig({ ...base, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }))).toBe(true);
  expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxp-user-token' })).toThrow(/SLACK_BOT_TOKEN: must be a bot token/);
  const connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  try {
    const receiver = createSlackReceiver({
      signingSecret: '',
      botToken: 'xoxb-1',
      appToken: 'xapp-1-test',
      client: new Client({ connection }),
      taskQueue: 'q',
      logger: pino({ level: 'silent' }),
    });
    expect(receiver.mode).toBe('socket');
    const http = createSlackReceiver({ signingSecret: 'secret', botToken: 'xoxb-1', client: new Client({ connection }), taskQueue: 'q', logger: pino({ level: 'silent' }) });
    expect(http.mode).toBe('http');
  } finally {
    await connection.close();
  }
});
