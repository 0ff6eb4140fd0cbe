/**
 * A FAKE Qdrant server for tests — NOT Qdrant. There is no Qdrant binary on the test machines, so
 * this in-memory HTTP server imitates Qdrant's REST wire format (v1.x, as spoken by
 * @qdrant/js-client-rest 1.18) for exactly the endpoints memory/vector/qdrantStore.ts uses, plus
 * search/scroll/retrieve for completeness:
 *   GET  /                                      version info (not enveloped, like Qdrant)
 *   GET  /collections/{c}/exists                { result: { exists } }
 *   GET  /collections/{c}                       collection info (config.params.vectors.size/distance)
 *   PUT  /collections/{c}                       create (409 "already exists")
 *   DELETE /collections/{c}
 *   PUT  /collections/{c}/index                 payload index
 *   PUT  /collections/{c}/points                upsert (points list or batch)
 *   POST /collections/{c}/points                retrieve by ids
 *   POST /collections/{c}/points/query          universal query (nearest vector + filter)
 *   POST /collections/{c}/points/search         legacy search
 *   POST /collections/{c}/points/scroll         filtered scan with next_page_offset
 *   POST /collections/{c}/points/count
 *   POST /collections/{c}/points/delete         by ids or by filter
 * Every answer is Qdrant's envelope `{ result, status: "ok", time }`; errors are
 * `{ status: { error: "…" }, time }` with Qdrant's codes (404 missing collection, 409 existing,
 * 400 wrong input such as a vector dimension mismatch or an invalid point id). Filters support
 * must / should / must_not (nested), match value / any / except, range gt/gte/lt/lte, has_id,
 * is_empty and is_null. Cosine collections normalise vectors on upsert and score by dot product,
 * as Qdrant does. Test hooks: `failNext(n, status)` and `delayMs` to exercise degradation.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, any>;
interface Point {
  id: string | number;
  vector: number[];
  payload: Json;
  version: number;
}
interface Collection {
  size: number;
  distance: 'Cosine' | 'Dot' | 'Euclid' | 'Manhattan';
  points: Map<string, Point>;
  payloadSchema: Record<string, { data_type: string; params?: Json }>;
  version: number;
}

class QdrantError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

function pointKey(id: unknown): string {
  if (typeof id === 'number' && Number.isInteger(id) && id >= 0) return String(id);
  if (typeof id === 'string' && UUID.test(id)) return id.toLowerCase();
  throw new QdrantError(400, `Format error in JSON body: value ${JSON.stringify(id)} is not a valid point ID, valid values are either an unsigned integer or a UUID`);
}

function normalise(v: number[]): number[] {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / n);
}

function score(c: Collection, a: number[], b: number[]): number {
  switch (c.distance) {
    case 'Cosine':
    case 'Dot':
      return a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);
    case 'Euclid':
      return Math.sqrt(a.reduce((s, x, i) => s + (x - (b[i] ?? 0)) ** 2, 0));
    case 'Manhattan':
      return a.reduce((s, x, i) => s + Math.abs(x - (b[i] ?? 0)), 0);
  }
}

function valuesAt(payload: Json, key: string): unknown[] {
  const v = key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Json)[k] : undefined), payload);
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

function matchCondition(p: Point, cond: Json): boolean {
  if ('must' in cond || 'should' in cond || 'must_not' in cond) return matchFilter(p, cond);
  if (Array.isArray(cond.has_id)) return cond.has_id.some((id: unknown) => pointKey(id) === String(p.id).toLowerCase());
  if (cond.is_empty) return valuesAt(p.payload, cond.is_empty.key).length === 0;
  if (cond.is_null) return valuesAt(p.payload, cond.is_null.key).some((v) => v === null);
  if (typeof cond.key !== 'string') throw new QdrantError(400, 'Format error in JSON body: data did not match any variant of untagged enum Condition');
  const values = valuesAt(p.payload, cond.key);
  if (cond.match) {
    const m = cond.match as Json;
    if ('value' in m) return values.some((v) => v === m.value);
    if ('any' in m) return values.some((v) => (m.any as unknown[]).includes(v));
    if ('except' in m) return values.length > 0 && values.every((v) => !(m.except as unknown[]).includes(v));
    throw new QdrantError(400, 'Format error in JSON body: unsupported match');
  }
  if (cond.range) {
    const r = cond.range as Json;
    return values.some(
      (v) =>
        typeof v === 'number' &&
        (r.gt === undefined || r.gt === null || v > r.gt) &&
        (r.gte === undefined || r.gte === null || v >= r.gte) &&
        (r.lt === undefined || r.lt === null || v < r.lt) &&
        (r.lte === undefined || r.lte === null || v <= r.lte),
    );
  }
  throw new QdrantError(400, 'Format error in JSON body: unsupported condition');
}

function asList(x: unknown): Json[] {
  return x === undefined || x === null ? [] : Array.isArray(x) ? (x as Json[]) : [x];
}

function matchFilter(p: Point, filter: Json | undefined | null): boolean {
  if (!filter) return true;
  const must = asList(filter.must);
  const should = asList(filter.should);
  const mustNot = asList(filter.must_not);
  return must.every((c) => matchCondition(p, c)) && (should.length === 0 || should.some((c) => matchCondition(p, c))) && !mustNot.some((c) => matchCondition(p, c));
}

function outId(key: string): string | number {
  return /^\d+$/.test(key) ? Number(key) : key;
}

function withPayload(p: Point, wp: unknown): Json | null {
  if (wp === false) return null;
  if (Array.isArray(wp)) return Object.fromEntries(Object.entries(p.payload).filter(([k]) => (wp as string[]).includes(k)));
  return p.payload;
}

export class FakeQdrant {
  readonly collections = new Map<string, Collection>();
  readonly requests: string[] = [];
  delayMs = 0;
  private failures: { remaining: number; status: number } = { remaining: 0, status: 500 };
  private server: http.Server | undefined;
  url = '';

  static async start(): Promise<FakeQdrant> {
    const fake = new FakeQdrant();
    fake.server = http.createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server!.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** The next `n` requests answer `status` with a Qdrant error body. */
  failNext(n: number, status = 503): void {
    this.failures = { remaining: n, status };
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${url.pathname}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const time = () => Number(process.hrtime.bigint() - started) / 1e9;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    try {
      if (this.failures.remaining > 0) {
        this.failures.remaining--;
        throw new QdrantError(this.failures.status, 'Service internal error: injected failure (fake)');
      }
      let body: Json = {};
      if (chunks.length > 0) {
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
        } catch (err) {
          throw new QdrantError(400, `Format error in JSON body: ${(err as Error).message}`);
        }
      }
      const result = this.route(req.method ?? 'GET', url, body);
      if (result.raw) send(200, result.value);
      else send(200, { result: result.value, status: 'ok', time: time() });
    } catch (err) {
      const status = err instanceof QdrantError ? err.status : 500;
      send(status, { status: { error: (err as Error).message }, time: time() });
    }
  }

  private collection(name: string): Collection {
    const c = this.collections.get(name);
    if (!c) throw new QdrantError(404, `Not found: Collection \`${name}\` doesn't exist!`);
    return c;
  }

  private route(method: string, url: URL, body: Json): { value: unknown; raw?: boolean } {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const wait = url.searchParams.get('wait') === 'true';
    const op = (c: Collection) => ({ value: { operation_id: ++c.version, status: wait ? 'completed' : 'acknowledged' } });
    if (parts.length === 0 && method === 'GET') return { value: { title: 'qdrant - vector search engine (FAKE for tests)', version: '1.18.0', commit: null }, raw: true };
    if (parts[0] !== 'collections' || !parts[1]) throw new QdrantError(404, `Not found: ${url.pathname}`);
    const name = parts[1];
    const rest = parts.slice(2).join('/');
    const key = `${method} ${rest}`;
    switch (key) {
      case 'GET exists':
        return { value: { exists: this.collections.has(name) } };
      case 'GET ':
        return { value: this.info(this.collection(name)) };
      case 'PUT ':
        return { value: this.create(name, body) };
      case 'DELETE ':
        return { value: this.collections.delete(name) };
      case 'PUT index': {
        const c = this.collection(name);
        const schema = typeof body.field_schema === 'string' ? { data_type: body.field_schema } : { data_type: body.field_schema?.type, params: body.field_schema };
        c.payloadSchema[String(body.field_name)] = schema;
        return op(c);
      }
      case 'PUT points': {
        const c = this.collection(name);
        this.upsert(c, body);
        return op(c);
      }
      case 'POST points': {
        const c = this.collection(name);
        return {
          value: asList(body.ids)
            .map((id) => c.points.get(pointKey(id)))
            .filter((p): p is Point => p !== undefined)
            .map((p) => ({ id: outId(String(p.id)), payload: withPayload(p, body.with_payload ?? true), vector: body.with_vector ? p.vector : null })),
        };
      }
      case 'POST points/query':
        return { value: { points: this.nearest(this.collection(name), body.query, body) } };
      case 'POST points/search':
        return { value: this.nearest(this.collection(name), body.vector, body) };
      case 'POST points/scroll':
        return { value: this.scroll(this.collection(name), body) };
      case 'POST points/count': {
        const c = this.collection(name);
        return { value: { count: [...c.points.values()].filter((p) => matchFilter(p, body.filter)).length } };
      }
      case 'POST points/delete': {
        const c = this.collection(name);
        if (Array.isArray(body.points)) {
          for (const id of body.points) c.points.delete(pointKey(id));
        } else if (body.filter) {
          for (const [k, p] of c.points) if (matchFilter(p, body.filter)) c.points.delete(k);
        } else {
          throw new QdrantError(400, 'Format error in JSON body: expected `points` or `filter`');
        }
        return op(c);
      }
      default:
        throw new QdrantError(404, `Not found: ${method} ${url.pathname}`);
    }
  }

  private create(name: string, body: Json): boolean {
    if (this.collections.has(name)) throw new QdrantError(409, `Wrong input: Collection \`${name}\` already exists!`);
    const vectors = body.vectors as Json | undefined;
    if (!vectors || typeof vectors.size !== 'number' || vectors.size < 1) {
      throw new QdrantError(400, 'Format error in JSON body: missing field `size`');
    }
    if (!['Cosine', 'Dot', 'Euclid', 'Manhattan'].includes(vectors.distance)) {
      throw new QdrantError(400, `Format error in JSON body: unknown variant \`${vectors.distance}\``);
    }
    this.collections.set(name, { size: vectors.size, distance: vectors.distance, points: new Map(), payloadSchema: {}, version: 0 });
    return true;
  }

  private info(c: Collection): Json {
    return {
      status: 'green',
      optimizer_status: 'ok',
      indexed_vectors_count: 0,
      points_count: c.points.size,
      segments_count: 1,
      config: {
        params: { vectors: { size: c.size, distance: c.distance }, shard_number: 1, replication_factor: 1, write_consistency_factor: 1, on_disk_payload: true },
        hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false },
        optimizer_config: {
          deleted_threshold: 0.2,
          vacuum_min_vector_number: 1000,
          default_segment_number: 0,
          max_segment_size: null,
          memmap_threshold: null,
          indexing_threshold: 20000,
          flush_interval_sec: 5,
          max_optimization_threads: null,
        },
        wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
        quantization_config: null,
      },
      payload_schema: Object.fromEntries(Object.entries(c.payloadSchema).map(([k, v]) => [k, { ...v, points: c.points.size }])),
    };
  }

  private checkVector(c: Collection, v: unknown): number[] {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new QdrantError(400, 'Format error in JSON body: vector must be an array of numbers');
    if (v.length !== c.size) throw new QdrantError(400, `Wrong input: Vector dimension error: expected dim: ${c.size}, got ${v.length}`);
    return v;
  }

  private upsert(c: Collection, body: Json): void {
    const incoming: { id: unknown; vector: unknown; payload: unknown }[] = Array.isArray(body.points)
      ? (body.points as Json[]).map((p) => ({ id: p.id, vector: p.vector, payload: p.payload }))
      : body.batch
        ? asList(body.batch.ids).map((id, i) => ({ id, vector: body.batch.vectors?.[i], payload: body.batch.payloads?.[i] }))
        : [];
    if (incoming.length === 0 && !Array.isArray(body.points)) throw new QdrantError(400, 'Format error in JSON body: expected `points` or `batch`');
    // Validate everything first: Qdrant rejects the whole request on one bad point.
    const points = incoming.map((p) => {
      const key = pointKey(p.id);
      const vector = this.checkVector(c, p.vector);
      return { key, vector: c.distance === 'Cosine' ? normalise(vector) : vector, payload: (p.payload as Json | null) ?? {} };
    });
    const version = c.version + 1;
    for (const p of points) c.points.set(p.key, { id: p.key, vector: p.vector, payload: p.payload, version });
  }

  private nearest(c: Collection, raw: unknown, body: Json): Json[] {
    let query = this.checkVector(c, raw);
    if (c.distance === 'Cosine') query = normalise(query);
    const higherIsBetter = c.distance === 'Cosine' || c.distance === 'Dot';
    const limit = typeof body.limit === 'number' ? body.limit : 10;
    const offset = typeof body.offset === 'number' ? body.offset : 0;
    return [...c.points.values()]
      .filter((p) => matchFilter(p, body.filter))
      .map((p) => ({ p, s: score(c, query, p.vector) }))
      .filter(({ s }) => typeof body.score_threshold !== 'number' || (higherIsBetter ? s >= body.score_threshold : s <= body.score_threshold))
      .sort((a, b) => (higherIsBetter ? b.s - a.s : a.s - b.s))
      .slice(offset, offset + limit)
      .map(({ p, s }) => ({
        id: outId(String(p.id)),
        version: p.version,
        score: s,
        payload: withPayload(p, body.with_payload ?? false),
        vector: body.with_vector ? p.vector : null,
        shard_key: null,
        order_value: null,
      }));
  }

  private scroll(c: Collection, body: Json): Json {
    const limit = typeof body.limit === 'number' ? body.limit : 10;
    const sorted = [...c.points.values()].filter((p) => matchFilter(p, body.filter)).sort((a, b) => String(a.id).localeCompare(String(b.id)));
    const start = body.offset === undefined || body.offset === null ? 0 : sorted.findIndex((p) => String(p.id) >= pointKey(body.offset));
    const page = sorted.slice(Math.max(0, start), Math.max(0, start) + limit);
    const next = sorted[Math.max(0, start) + limit];
    return {
      points: page.map((p) => ({ id: outId(String(p.id)), payload: withPayload(p, body.with_payload ?? true), vector: body.with_vector ? p.vector : null })),
      next_page_offset: next ? outId(String(next.id)) : null,
    };
  }
}
