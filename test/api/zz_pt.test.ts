import { Client, Connection } from '@temporalio/client';
test('garbage token', async () => {
  const connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  const client = new Client({ connection });
  for (const tok of ['abcd', 'eyJmb28iOjF9', Buffer.from('{"LastStartTime":"x"}').toString('base64url')]) {
  try {
    const r = await client.workflowService.listWorkflowExecutions({ namespace: 'default', query: 'CopilotKind = "runbook"', pageSize: 2, nextPageToken: Buffer.from(tok, 'base64url') });
    console.log('ok', r.executions.length);
  } catch (err) { console.log(tok, (err as any).code, (err as any).constructor.name, (err as Error).message); }
  }
  await connection.close();
});
