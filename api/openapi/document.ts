import { z } from 'zod';
import { OPERATIONS, type Operation } from './operations';

/**
 * The OpenAPI 3.1 document, generated from OPERATIONS and the zod schemas they reference (JSON
 * Schema 2020-12 is OpenAPI 3.1's dialect, which is what zod emits). Input shapes (`io: 'input'`):
 * what a client sends, before defaults and transforms. Built once per process.
 */
type JsonSchema = Record<string, unknown>;

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
  description?: string;
}

export interface OperationObject {
  operationId: string;
  summary: string;
  tags: string[];
  security: Record<string, string[]>[];
  'x-required-roles'?: readonly string[];
  parameters?: ParameterObject[];
  requestBody?: { required: boolean; content: { 'application/json': { schema: JsonSchema } } };
  responses: Record<string, { description: string; content?: Record<string, { schema?: JsonSchema }> }>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string; license: { name: string; identifier: string } };
  servers: { url: string }[];
  tags: { name: string }[];
  paths: Record<string, Record<string, OperationObject>>;
  components: { securitySchemes: Record<string, JsonSchema>; schemas: Record<string, JsonSchema> };
}

const Problem = z
  .object({
    type: z.string().describe('urn:copilot:problem:<slug>'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string().describe('body field (params.version), query.<name>, path.<name> or headers.<name>'), message: z.string() })).optional(),
  })
  .describe('RFC 9457 problem details');

const ERROR_TEXT: Record<number, string> = {
  400: 'invalid input: errors[].path names each field (body, query.*, path.*)',
  401: 'missing or invalid bearer token',
  403: 'the caller lacks the role (checked before any validation)',
  404: 'no such resource',
  405: 'the path exists with other methods (see Allow)',
  409: "conflict with the resource's state (already decided, closed, idempotency key reused)",
  413: 'body or params over the size limit',
  415: 'the body is not JSON',
  422: 'well-formed but not acceptable (e.g. unknown runbook parameter)',
  429: 'rate limited (Retry-After)',
  503: 'a dependency (Temporal, the database, a feature not configured) is unavailable',
};

/** Statuses every authenticated route can answer, whatever its handler does. */
export const COMMON_AUTHENTICATED_ERRORS = [400, 401, 403, 405, 413, 415, 429] as const;

function jsonSchema(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete out.$schema;
  return out;
}

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): ParameterObject[] {
  if (!schema) return [];
  const object = jsonSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (object.required ?? []).includes(name),
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

export function errorStatuses(op: Operation): number[] {
  const common = op.roles ? COMMON_AUTHENTICATED_ERRORS : [];
  return [...new Set([...common, ...(op.errors ?? []), 429])].sort((a, b) => a - b);
}

function operationObject(op: Operation): OperationObject {
  const responses: OperationObject['responses'] = {};
  for (const [status, ok] of Object.entries(op.ok)) {
    const contentType = ok.contentType ?? 'application/json';
    responses[status] = {
      description: ok.description,
      ...(status === '204' ? {} : { content: { [contentType]: ok.schema ? { schema: jsonSchema(ok.schema) } : {} } }),
    };
  }
  for (const status of errorStatuses(op)) {
    responses[String(status)] = { description: ERROR_TEXT[status] ?? 'error', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  }
  const params: ParameterObject[] = [...parameters(op.params, 'path'), ...parameters(op.query, 'query')];
  if (op.sse) params.push({ name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' }, description: 'resume after this event id' });
  return {
    operationId: `${op.method}${openApiPath(op.path)
      .replace(/[{}]/g, '')
      .replace(/\/([a-z0-9])/gi, (_m, c: string) => c.toUpperCase())
      .replace(/[^A-Za-z0-9]/g, '')}`,
    summary: op.summary,
    tags: [op.tag],
    ...(op.roles ? { security: [{ bearer: [] }], 'x-required-roles': op.roles } : { security: [] }),
    ...(params.length ? { parameters: params } : {}),
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body) } } } } : {}),
    responses,
  };
}

let built: OpenApiDocument | undefined;

export function openApiDocument(): OpenApiDocument {
  if (built) return built;
  const paths: OpenApiDocument['paths'] = {};
  for (const op of OPERATIONS) (paths[openApiPath(op.path)] ??= {})[op.method] = operationObject(op);
  built = {
    openapi: '3.1.0',
    info: {
      title: 'copilot API',
      version: '0.1.0',
      description: 'Self-hosted DevOps copilot on Temporal: runbooks with approval gates, chat, memory, incidents. Errors are RFC 9457 problem+json.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    tags: [...new Set(OPERATIONS.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a static token (AUTH_TOKENS) or a JWT with sub and roles' } },
      schemas: { Problem: jsonSchema(Problem) },
    },
  };
  return built;
}
