/**
 * FAKE OpenAI-compatible server (as LM Studio, Ollama and llama.cpp's server expose) — not a model.
 * POST /v1/chat/completions with stream: true → `data: {chunk}` lines (choices[0].delta.content,
 * delta.tool_calls[{index,id,function:{name,arguments}}], finish_reason), a usage chunk, then
 * `data: [DONE]`. GET /v1/models → {"object":"list","data":[…]}. `failWith` answers every request
 * with that status and an OpenAI-style error body.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOpenAi {
  url: string;
  requests: any[];
  reply: (body: any) => { text?: string; tool?: { name: string; arguments: Record<string, unknown> } };
  failWith?: number;
  close(): Promise<void>;
}

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const fake: FakeOpenAi = { url: '', requests: [], reply: () => ({ text: 'local answer' }), close: async () => undefined };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      if (fake.failWith) {
        res.writeHead(fake.failWith, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'unavailable', type: 'server_error' } }));
        return;
      }
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'local-model', object: 'model' }] }));
        return;
      }
      const body = JSON.parse(raw || '{}');
      fake.requests.push(body);
      const out = fake.reply(body);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: unknown, finish: string | null = null) =>
        res.write(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
      chunk({ role: 'assistant' });
      if (out.text) for (const word of out.text.split(/(?<= )/)) chunk({ content: word });
      if (out.tool) {
        const args = JSON.stringify(out.tool.arguments);
        chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: out.tool.name, arguments: '' } }] });
        for (let i = 0; i < args.length; i += 5) chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(i, i + 5) } }] });
      }
      chunk({}, out.tool ? 'tool_calls' : 'stop');
      res.write(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 12, completion_tokens: 5 } })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
