import { z } from 'zod';

/**
 * `MCP_SERVERS`: the external MCP servers an investigation may read from, as JSON. Each server is
 * reached over streamable HTTP (`url`, optional `headers`) or by spawning a stdio command
 * (`command`, `args`, `env`), and lists the tool names the LLM may call on it (`allowedTools`).
 * The allowlist is the only way in: a tool not on it is never offered to the model and never
 * called, whatever the model asks. List read-only tools only — the copilot cannot verify that a
 * third-party tool does not mutate.
 */
const ServerName = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be lower-case letters, digits and "-" (at most 31)');
const ToolName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be an MCP tool name (letters, digits, "_", ".", "-")');

const common = {
  name: ServerName,
  allowedTools: z.array(ToolName).min(1, 'list at least one read-only tool').max(50),
  /** Per call; the investigation step's own deadline still applies. */
  timeoutMs: z.number().int().min(100).max(120_000).default(15_000),
};

export const HttpMcpServer = z.strictObject({
  ...common,
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL of a streamable-HTTP MCP endpoint' }),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,100}$/), z.string().max(4000)).optional(),
});

export const StdioMcpServer = z.strictObject({
  ...common,
  command: z.string().min(1).max(1000),
  args: z.array(z.string().max(4000)).max(100).default([]),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(4000)).optional(),
});

export const McpServerConfig = z.union([HttpMcpServer, StdioMcpServer], { error: 'each server needs either "url" (streamable HTTP) or "command" (stdio)' });
export type McpServerConfig = z.infer<typeof McpServerConfig>;

export const McpServers = z
  .array(McpServerConfig)
  .max(20)
  .superRefine((servers, ctx) => {
    const seen = new Set<string>();
    servers.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate server name "${s.name}"` });
      seen.add(s.name);
    });
  });
export type McpServers = z.infer<typeof McpServers>;

/** The environment variable: JSON text, parsed and validated at start-up (a mistake names the entry). */
export const McpServersEnv = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON: an array of servers' });
      return z.NEVER;
    }
  })
  .pipe(McpServers);

export function isHttpServer(server: McpServerConfig): server is z.infer<typeof HttpMcpServer> {
  return 'url' in server;
}
