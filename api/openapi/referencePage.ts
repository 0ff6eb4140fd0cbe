import { openApiDocument, type OperationObject } from './document';

/**
 * The API reference as one static HTML page rendered on the server from the OpenAPI document: no
 * script, no CDN, a strict Content-Security-Policy, every string escaped. (Schema text comes from
 * our own zod schemas, but escaping is unconditional.)
 */
export const REFERENCE_CSP = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const REFERENCE_CSS = `body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b1f24}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #d0d7de;margin-top:2.5rem}
.op{border:1px solid #d0d7de;border-radius:6px;margin:1rem 0;padding:.6rem 1rem}
.m{display:inline-block;min-width:4.5rem;font-weight:600;text-transform:uppercase}.get{color:#0969da}.post{color:#1a7f37}.delete{color:#cf222e}
code,pre{font:13px ui-monospace,monospace}pre{background:#f6f8fa;padding:.6rem;overflow:auto;max-height:24rem}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left;vertical-align:top}
.roles{color:#57606a}`;

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function operationHtml(method: string, path: string, op: OperationObject): string {
  const params = op.parameters ?? [];
  const roles = op['x-required-roles'] ?? [];
  const rows = params
    .map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : ''}</td><td><code>${esc(JSON.stringify(p.schema))}</code></td></tr>`)
    .join('');
  const responses = Object.entries(op.responses)
    .map(([status, r]) => `<tr><td>${esc(status)}</td><td>${esc(r.description)}</td></tr>`)
    .join('');
  const body = op.requestBody ? `<h4>Body</h4><pre>${esc(JSON.stringify(op.requestBody.content['application/json'].schema, null, 2))}</pre>` : '';
  return `<div class="op" id="${esc(op.operationId)}"><div><span class="m ${esc(method)}">${esc(method)}</span><code>${esc(path)}</code> — ${esc(op.summary)}</div>
<div class="roles">${roles.length ? `roles: ${roles.map(esc).join(', ')}` : 'no authentication'}</div>
${rows ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>${rows}</table>` : ''}${body}
<h4>Responses</h4><table>${responses}</table></div>`;
}

let page: string | undefined;

export function referencePage(): string {
  if (page) return page;
  const doc = openApiDocument();
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(method, path, op)]);
    }
  }
  const sections = [...byTag].map(([tag, ops]) => `<h2 id="tag-${esc(tag)}">${esc(tag)}</h2>${ops.join('\n')}`).join('\n');
  page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info.title)} reference</title>
<link rel="stylesheet" href="/api/v1/docs.css"></head><body><h1>${esc(doc.info.title)} ${esc(doc.info.version)}</h1>
<p>${esc(doc.info.description)} Machine-readable: <a href="/api/v1/openapi.json">openapi.json</a>.</p>${sections}</body></html>`;
  return page;
}
