import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, makeTelemetryFilterString, type Worker } from '@temporalio/worker';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';
import { createActivities } from '../../activities/createActivities';
import { SqlEventStore } from '../../db/eventStore';
import { RunbookDefinition } from '../../domain/runbook';
import type { RunState } from '../../domain/runState';
import { findTemporalCli } from '../../temporal/cliLocator';
import { freePort, startDevServer, type DevServer } from '../../temporal/devServer';
import { RunClient } from '../../temporal/runClient';
import { createRunbookWorker } from '../../workers/createWorker';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase';

/**
 * The Temporal Web UI path as an approver sees it (issue #15 §5), in Debian Chromium through
 * playwright-core: its own dev server with the UI (the shared test server is headless), a real
 * worker, a run started like the API starts it. The approver reads the signal payload from
 * User Metadata → Current Details, sends it through the UI's own "Send a Signal" dialog, and the
 * run completes.
 */
let server: DevServer;
let database: TestDatabase;
let nativeConnection: NativeConnection;
let connection: Connection;
let worker: Worker;
let running: Promise<void>;
let browser: Browser;
const taskQueue = `ui-${randomUUID()}`;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
  } catch {
    // installed by another file in this process
  }
  server = await startDevServer({ cliPath: findTemporalCli(), uiPort: await freePort() });
  database = await createTestDatabase('ui');
  nativeConnection = await NativeConnection.connect({ address: server.address });
  worker = await createRunbookWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: createActivities({
      events: new SqlEventStore(database.db),
      catalogue: { get: () => undefined },
      config: { commandAllowlist: [], commandCwd: process.cwd(), runbookEnv: {}, stepLogMaxLines: 100 },
    }),
    workflowBundle: { codePath: process.env.TEST_WORKFLOW_BUNDLE! },
  });
  running = worker.run();
  connection = await Connection.connect({ address: server.address });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  worker?.shutdown();
  await running;
  await nativeConnection?.close();
  await connection?.close();
  await database?.drop();
  await server?.stop();
});

/**
 * `UI_SCREENSHOTS=<dir>` saves what the approver sees at each step (the README's pictures come from
 * here: `UI_SCREENSHOTS=docs/temporal-ui npx jest test/workflows/temporalUiApproval.test.ts`).
 */
async function snapshot(page: Page, name: string): Promise<void> {
  const dir = process.env.UI_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}

/** The text of the first element `find` locates in any frame of the page, waiting up to 20 s. */
async function textInFrames(page: Page, find: (frame: Frame | Page) => Locator): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    for (const frame of page.frames()) {
      const locator = find(frame);
      if ((await locator.count().catch(() => 0)) > 0) return locator.innerText();
    }
    if (Date.now() > deadline) throw new Error('not found in any frame of the page');
    await new Promise((r) => setTimeout(r, 250));
  }
}

test("an approver copies the payload from Current Details into the UI's Send a Signal dialog and the run completes", async () => {
  const runs = new RunClient({ client: new Client({ connection, namespace: 'default' }), taskQueue });
  const runbook = RunbookDefinition.parse({
    name: 'ui-deploy',
    params: { service: { type: 'string', required: true }, version: { type: 'string', required: true }, environment: { type: 'string', required: true } },
    steps: [
      { id: 'approve', type: 'approval', fourEyes: true },
      { id: 'after', type: 'wait', needs: ['approve'], duration: '10ms' },
    ],
  });
  const { runId } = await runs.startRun({ runbook, params: { service: 'auth', version: 'v2.3.1', environment: 'production' }, requestedBy: { sub: 'alice', roles: ['operator'] } });
  const handle = new Client({ connection }).workflow.getHandle(runId);
  const deadline = Date.now() + 20_000;
  while ((await handle.query<RunState>('state')).status !== 'waiting_approval') {
    if (Date.now() > deadline) throw new Error('the run never reached its gate');
    await new Promise((r) => setTimeout(r, 100));
  }

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${server.uiUrl}/namespaces/default/workflows/${runId}`);
  await page.getByText('User Metadata', { exact: true }).first().click();
  // The static summary set at start says what the run is.
  // The UI renders user metadata (markdown) in sandboxed iframes: look through every frame.
  const summary = await textInFrames(page, (frame) => frame.getByText('ui-deploy: auth v2.3.1 in production (by alice)').first());
  expect(summary).toBe('ui-deploy: auth v2.3.1 in production (by alice)');
  // The payload, as rendered: a code block, straight quotes, the gate's digest inside.
  const payloadText = (await textInFrames(page, (frame) => frame.locator('code', { hasText: '"gateId":"approve"' }).first())).trim();
  expect(payloadText).not.toMatch(/[\u201c\u201d]/);
  const payload = JSON.parse(payloadText) as Record<string, unknown>;
  await snapshot(page, '1-current-details');
  expect(payload).toMatchObject({ gateId: 'approve', decision: 'approve', approver: '<your name>', digest: expect.stringMatching(/^sha256:/) });

  await page.getByRole('button', { name: 'More Actions' }).first().click();
  await page.getByRole('menuitem', { name: 'Send a Signal' }).click();
  // The worker registered the signals with descriptions, so the UI offers them by name.
  // The page keeps a hidden copy of the dialog: act on the visible one.
  const dialog = page.getByRole('dialog').filter({ visible: true });
  await dialog.getByTestId('signal-select-button').click();
  await dialog
    .getByRole('option')
    .filter({ has: page.getByText('approval', { exact: true }) })
    .click();
  const data = dialog.getByRole('textbox', { name: 'Data' });
  await data.click();
  // insertText: typed key by key, the editor would auto-close the braces and quotes.
  await page.keyboard.insertText(JSON.stringify({ ...payload, approver: 'carol' }));
  // Leaving the editor reformats the JSON and resizes the dialog: blur first, then submit.
  await data.evaluate((el) => (el as { blur(): void }).blur());
  const submit = dialog.getByTestId('confirm-modal-button');
  await submit.waitFor();
  await page.waitForTimeout(300);
  await snapshot(page, '2-send-signal');
  await submit.click();

  const until = Date.now() + 20_000;
  let state = await handle.query<RunState>('state');
  while (state.status !== 'succeeded' && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    state = await handle.query<RunState>('state');
  }
  expect(state.status).toBe('succeeded');
  expect(state.approvals[0]).toMatchObject({ status: 'approved', decidedBy: 'carol', via: 'temporal-signal', approverClaimed: true });
  expect(state.approvals[0]!.votes[0]).toMatchObject({ bound: true, digest: payload.digest });
  if (process.env.UI_SCREENSHOTS) {
    await page.reload();
    await page.getByText('Completed', { exact: true }).first().waitFor({ timeout: 20_000 });
    await snapshot(page, '3-completed');
  }
  await page.close();
}, 90_000);
