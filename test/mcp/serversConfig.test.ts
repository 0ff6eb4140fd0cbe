import { ConfigError, loadConfig } from '../../config/env';

/** MCP_SERVERS and MCP_ALLOW_APPROVALS are validated at start-up like every other variable. */
test('MCP_SERVERS parses HTTP and stdio servers with their allowlists; approvals stay off by default', () => {
  const config = loadConfig({
    MCP_SERVERS: JSON.stringify([
      { name: 'grafana', url: 'http://127.0.0.1:8000/mcp', headers: { Authorization: 'Bearer x' }, allowedTools: ['query_prometheus', 'list_dashboards'] },
      { name: 'k8s', command: 'npx', args: ['mcp-server-kubernetes'], allowedTools: ['pods_list'] },
    ]),
  });
  expect(config.MCP_ALLOW_APPROVALS).toBe(false);
  expect(config.MCP_SERVERS).toEqual([
    expect.objectContaining({ name: 'grafana', allowedTools: ['query_prometheus', 'list_dashboards'], timeoutMs: 15_000 }),
    expect.objectContaining({ name: 'k8s', command: 'npx', args: ['mcp-server-kubernetes'] }),
  ]);
  expect(loadConfig({ MCP_ALLOW_APPROVALS: 'true' }).MCP_ALLOW_APPROVALS).toBe(true);
});

test.each([
  ['not JSON', '[{', /must be JSON/],
  ['no allowlist', JSON.stringify([{ name: 'k8s', url: 'http://127.0.0.1:1/mcp', allowedTools: [] }]), /list at least one read-only tool/],
  ['neither url nor command', JSON.stringify([{ name: 'k8s', allowedTools: ['a'] }]), /"url" \(streamable HTTP\) or "command" \(stdio\)/],
  [
    'duplicate names',
    JSON.stringify([
      { name: 'a', url: 'http://h/mcp', allowedTools: ['t'] },
      { name: 'a', command: 'x', allowedTools: ['t'] },
    ]),
    /duplicate server name "a"/,
  ],
])('MCP_SERVERS refuses %s, naming the variable', (_what, value, message) => {
  let error: unknown;
  try {
    loadConfig({ MCP_SERVERS: value });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).issues[0]).toMatchObject({ variable: 'MCP_SERVERS', message: expect.stringMatching(message) });
});
