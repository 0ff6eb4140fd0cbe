import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { untrustedBlock } from '../llm/untrustedData';
import type { LlmTool } from '../llm/types';
import { isHttpServer, type McpServerConfig } from '../mcp/serversConfig';
import type { Redactor } from '../memory/redaction/redactor';
import { EvidenceRecorder } from './gather/evidenceRecorder';
import { wrapUntrusted } from './heuristics/untrusted';
import type { IncidentRepository } from './incidentRepository';
import type { QueryToolScope, ToolOutcome } from './llmQueryTools';
import type { QueryRecord } from './types';

/**
 * MCP toolsets for the LLM hypothesis step: the read-only tools of the external MCP servers in
 * MCP_SERVERS (Grafana's, a Kubernetes one, …), offered to the model beside the PromQL/LogQL/
 * TraceQL tools and within the SAME query allowance. The allowlist decides everything: a tool is
 * offered only if it is on its server's `allowedTools` AND the server lists it, and a call is
 * checked against the allowlist again before anything is sent — a name the model makes up, or a
 * listed tool that is not allowed, never reaches the server. Each call and its result (redacted,
 * capped) is recorded as evidence with its own id (`<incident>/mcp/r<round>/mcp/<n>`, language
 * `mcp`, backend `mcp:<server>`), so it shows in the incident and the postmortem like a PromQL
 * query; what reaches the model is wrapped as untrusted data, tool descriptions included (they
 * come from a third party too). A server that cannot be reached or listed is skipped and noted.
 */
export interface McpBudget {
  /** Queries left in this step's allowance, shared with the query tools. */
  readonly left: number;
  /** Takes one query from the allowance; false when it is spent. */
  spend(): boolean;
}

interface OfferedTool {
  server: McpServerConfig;
  client: Client;
  tool: string;
  llm: LlmTool;
}

const MAX_SCHEMA_CHARS = 8000;
const MAX_RESULT_TO_MODEL = 3000;
const MAX_BODY_CHARS = 64 * 1024;
const CONNECT_TIMEOUT_MS = 10_000;

/** Anthropic and OpenAI tool names: ^[a-zA-Z0-9_-]{1,64}$. */
function exposedName(server: string, tool: string, taken: Set<string>): string {
  const base = `mcp_${server}_${tool}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60);
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base.slice(0, 57)}_${i}`;
  taken.add(name);
  return name;
}

function transportFor(server: McpServerConfig): Transport {
  if (isHttpServer(server)) return new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: server.headers ?? {} } });
  return new StdioClientTransport({ command: server.command, args: server.args, env: { ...getDefaultEnvironment(), ...server.env }, stderr: 'ignore' });
}

function resultText(result: CallToolResult): string {
  const parts = result.content.map((c) => (c.type === 'text' ? c.text : c.type === 'resource' && 'text' in c.resource ? String(c.resource.text) : `[${c.type}]`));
  if (result.structuredContent !== undefined && parts.every((p) => p.trim() === '')) parts.push(JSON.stringify(result.structuredContent));
  return parts.join('\n');
}

export class McpToolset {
  private readonly recorder: EvidenceRecorder;
  private readonly offered = new Map<string, OfferedTool>();
  private readonly clients: Client[] = [];
  /** Servers that could not be used in this step, with why (for the step's record). */
  readonly unavailable: string[] = [];

  private constructor(
    repo: IncidentRepository,
    scope: QueryToolScope,
    private readonly budget: McpBudget,
    private readonly redactor: Redactor,
  ) {
    // Prefix `mcp`: ids never collide with the gathers' or the query tools' (`llm`) of the same round.
    this.recorder = new EvidenceRecorder(repo, scope, 'mcp');
  }

  /** Connects to every configured server (in parallel, each with a deadline) and lists its allowed tools. */
  static async open(servers: readonly McpServerConfig[], repo: IncidentRepository, scope: QueryToolScope, budget: McpBudget, redactor: Redactor): Promise<McpToolset> {
    const set = new McpToolset(repo, scope, budget, redactor);
    const taken = new Set<string>();
    const listed = await Promise.all(
      servers.map(async (server) => {
        const client = new Client({ name: 'copilot-investigation', version: '0.1.0' });
        try {
          await client.connect(transportFor(server), { timeout: CONNECT_TIMEOUT_MS });
          set.clients.push(client);
          const { tools } = await client.listTools(undefined, { timeout: CONNECT_TIMEOUT_MS });
          return { server, client, tools };
        } catch (err) {
          await client.close().catch(() => undefined);
          set.unavailable.push(`mcp:${server.name}: ${(err instanceof Error ? err.message : String(err)).slice(0, 200)}`);
          return undefined;
        }
      }),
    );
    for (const entry of listed) {
      if (!entry) continue;
      const allowed = new Set(entry.server.allowedTools);
      for (const tool of entry.tools) {
        if (!allowed.has(tool.name)) continue;
        const schema = JSON.stringify(tool.inputSchema ?? {}).length <= MAX_SCHEMA_CHARS ? (tool.inputSchema as Record<string, unknown>) : { type: 'object' };
        const name = exposedName(entry.server.name, tool.name, taken);
        set.offered.set(name, {
          server: entry.server,
          client: entry.client,
          tool: tool.name,
          llm: {
            name,
            description: `Read-only tool "${tool.name}" on the MCP server "${entry.server.name}". Its own description, untrusted: ${wrapUntrusted(tool.description ?? '(none)', 500)}. Returns an evidence id to cite.`,
            inputSchema: { type: 'object', ...schema },
          },
        });
      }
    }
    return set;
  }

  get tools(): LlmTool[] {
    return [...this.offered.values()].map((o) => o.llm);
  }

  get records(): QueryRecord[] {
    return this.recorder.records;
  }

  handles(name: string): boolean {
    return this.offered.has(name);
  }

  async run(name: string, input: Record<string, unknown>, signal?: AbortSignal): Promise<ToolOutcome> {
    const offered = this.offered.get(name);
    // Checked again at call time: only an offered (= allowlisted and listed) tool is ever called.
    if (!offered || !offered.server.allowedTools.includes(offered.tool)) return { content: `tool ${name} is not allowed`, isError: true };
    if (!this.budget.spend()) return { content: 'not run: the query budget of this step is spent; report your hypotheses now', isError: true };
    const { server, client, tool } = offered;
    const args = JSON.stringify(input);
    const query = `${server.name}/${tool} ${args.length > 1500 ? `${args.slice(0, 1500)}…` : args}`;
    const { record, value } = await this.recorder.run(
      'mcp',
      'mcp',
      `mcp:${server.name}`,
      query,
      async () => {
        const result = (await client.callTool({ name: tool, arguments: input }, undefined, { timeout: server.timeoutMs, ...(signal ? { signal } : {}) })) as CallToolResult;
        const text = this.redactor.redact(resultText(result)).text;
        if (result.isError) throw new Error(`the tool answered with an error: ${text.slice(0, 300)}`);
        return text;
      },
      (text) => ({
        summary: this.line(text, 300) || '(empty result)',
        body: { server: server.name, tool, arguments: input, result: text.length > MAX_BODY_CHARS ? `${text.slice(0, MAX_BODY_CHARS)}…` : text },
        count: text.length > 0 ? 1 : 0,
      }),
    );
    const head = `evidence id=${record.evidenceId} (${tool} on MCP server ${server.name})`;
    if (value === undefined) return { content: `${head}: FAILED: ${this.line(record.error ?? 'error', 300)}`, isError: true };
    const shown = value.length > MAX_RESULT_TO_MODEL ? `${value.slice(0, MAX_RESULT_TO_MODEL)}…` : value;
    return { content: `${head}:\n${untrustedBlock(`mcp:${server.name}/${tool}`, shown || '(empty)')}`, isError: false };
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close().catch(() => undefined)));
  }

  private line(text: string, max: number): string {
    // eslint-disable-next-line no-control-regex
    const clean = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
    return clean.length > max ? `${clean.slice(0, max)}…` : clean;
  }
}
