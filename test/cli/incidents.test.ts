import { startChatStack, TOKENS, type ChatStack } from '../chat/support/chatStack';
import { runCli } from './support/cliProcess';

/**
 * `copilot incidents list|show|report` against a real investigation (the chat stack with the
 * incident worker and Prometheus), including hostile text: a title carrying terminal escape
 * sequences is printed without them.
 */
let stack: ChatStack;
let incidentId: string;
const TITLE = 'Orders slow \u001b[31mRED\u001b[0m \u001b]0;pwned\u0007';

beforeAll(async () => {
  stack = await startChatStack('cli_incidents', {}, { incidents: true });
  const res = await stack.call('POST', '/api/v1/incidents', { token: TOKENS.operator, json: { title: TITLE, severity: 'critical', service: 'orders' } });
  if (res.status !== 202) throw new Error(`create incident: ${res.status} ${res.text}`);
  incidentId = res.body.incidentId as string;
  await stack.call('POST', `/api/v1/incidents/${incidentId}/notes`, { token: TOKENS.operator, json: { text: 'looking at the orders DB' } });
});

afterAll(async () => {
  await stack?.close();
});

const as = (token: string) => ({ apiUrl: stack.url, token });

it('lists incidents as a table and as JSON, with escape sequences removed from the title', async () => {
  const table = await runCli(['incidents', 'list'], as(TOKENS.viewer));
  expect(table.code).toBe(0);
  expect(table.stdout.split('\n')[0]).toMatch(/^INCIDENT\s+STATUS\s+SEVERITY\s+SERVICE\s+TITLE\s+OPENED/);
  expect(table.stdout).toMatch(new RegExp(`${incidentId}\\s+\\w+\\s+critical\\s+orders\\s+Orders slow RED`));
  expect(table.stdout).not.toContain('\u001b');
  const json = await runCli(['-o', 'json', 'incidents', 'list', '--service', 'orders'], as(TOKENS.viewer));
  const items = JSON.parse(json.stdout) as { incidentId: string; title: string }[];
  expect(items.map((i) => i.incidentId)).toContain(incidentId);
  expect(items.find((i) => i.incidentId === incidentId)!.title).toBe(TITLE); // JSON keeps the data as it is
});

it('shows one incident with its notes, and prints the markdown report', async () => {
  const show = await runCli(['incidents', 'show', incidentId], as(TOKENS.viewer));
  expect(show.code).toBe(0);
  expect(show.stdout).toMatch(new RegExp(`incident\\s+${incidentId}`));
  expect(show.stdout).toMatch(/severity\s+critical/);
  expect(show.stdout).toMatch(/hypotheses\n/);
  expect(show.stdout).toMatch(/notes\n.*\n.*olga\s+looking at the orders DB/);
  expect(show.stdout).not.toContain('\u001b');
  const report = await runCli(['incidents', 'report', incidentId], as(TOKENS.viewer));
  expect(report.code).toBe(0);
  expect(report.stdout).toMatch(/^#/);
  expect(report.stdout).toContain(incidentId);
  expect(report.stdout).not.toContain('\u001b');
  const missing = await runCli(['incidents', 'show', 'inc-20260101-0000-abcd'], as(TOKENS.viewer));
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/404 Not Found/);
});
