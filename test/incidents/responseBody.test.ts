import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBodyJson, readBodyText } from '../../adapters/responseBody';

/** adapters/responseBody.ts against a real HTTP server: bodies with and without Content-Length, cut inside a character. */
let server: http.Server;
let url = '';
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const [, kind, size] = req.url!.split('?')[0]!.split('/');
    const body = kind === 'euro' ? '€'.repeat(Number(size)) : kind === 'json' ? JSON.stringify({ a: 'x'.repeat(Number(size)) }) : 'x'.repeat(Number(size));
    if (req.url!.endsWith('?chunked')) {
      res.writeHead(200);
      for (let i = 0; i < body.length; i += 1000) res.write(body.slice(i, i + 1000));
      res.end();
    } else res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

test.each(['', '?chunked'])('a body within the limit is read whole (%s)', async (mode) => {
  const body = await readBodyText(await fetch(`${url}/text/5000${mode}`), 5000);
  expect(body).toEqual({ text: 'x'.repeat(5000), truncated: false, ...(mode ? {} : { declaredBytes: 5000 }) });
});

test.each(['', '?chunked'])('a body over the limit is cut at the limit and flagged (%s)', async (mode) => {
  const body = await readBodyText(await fetch(`${url}/text/100000${mode}`), 4096);
  expect(body.truncated).toBe(true);
  expect(body.text).toBe('x'.repeat(4096));
  if (!mode) expect(body.declaredBytes).toBe(100000);
});

test('a cut inside a multi-byte character ends with one replacement character, never a broken string', async () => {
  // 1 000 € are 3 000 bytes: 2 999 of them are 999 € and two bytes of the last.
  const body = await readBodyText(await fetch(`${url}/euro/1000`), 2999);
  expect(body.truncated).toBe(true);
  expect(body.text).toBe(`${'€'.repeat(999)}\ufffd`);
});

test('readBodyJson: parsed within the limit, tooLarge over it, invalid when not JSON', async () => {
  await expect(readBodyJson(await fetch(`${url}/json/100`), 1000)).resolves.toEqual({ ok: true, value: { a: 'x'.repeat(100) } });
  await expect(readBodyJson(await fetch(`${url}/json/5000`), 1000)).resolves.toMatchObject({ ok: false, reason: 'tooLarge' });
  await expect(readBodyJson(await fetch(`${url}/text/10`), 1000)).resolves.toMatchObject({ ok: false, reason: 'invalid', text: 'x'.repeat(10) });
});
