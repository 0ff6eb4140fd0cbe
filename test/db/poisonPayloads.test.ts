/** @jest-environment ./test/db/pgliteEnvironment.ts */
import { ApplicationFailure } from '@temporalio/common';
import { asPermanentFailure } from '../../activities/permanentFailures';
import { classifyDataError } from '../../db/dataErrors';
import { EventValidationError, MAX_EVENT_DATA_BYTES, SqlEventStore } from '../../db/eventStore';
import { PostgresDatabase } from '../../db/postgresDatabase';
import { sanitizeJson, sanitizeText, toJsonb } from '../../db/sanitize';
import { PERMANENT_FAILURE } from '../../domain/failureTypes';
import { BACKENDS, openTestDatabase, type TestDatabase } from './backends';

// PGlite cannot boot inside Jest's sandbox: use the copy loaded by the environment (see pgliteEnvironment.ts).
jest.mock('@electric-sql/pglite', () => (globalThis as Record<string, unknown>).__hostPglite);

const NUL = '\u0000';
const LONE_HIGH = '\ud800';
const LONE_LOW = '\udc00';
const FFFD = '\ufffd';

describe('sanitizeText / sanitizeJson', () => {
  it('replaces NUL and unpaired surrogates, keeps well-formed pairs and escaped text', () => {
    expect(sanitizeText(`a${NUL}b${LONE_HIGH}c${LONE_LOW}d😀e`)).toBe(`a${FFFD}b${FFFD}c${FFFD}d😀e`);
    expect(sanitizeText(`${LONE_HIGH}`)).toBe(FFFD);
    expect(sanitizeText('C:\\u0000 is six characters')).toBe('C:\\u0000 is six characters');
    expect(sanitizeJson({ [`k${NUL}`]: [`v${LONE_HIGH}`, 1, null, { deep: NUL }], at: new Date('2026-01-01T00:00:00Z') })).toEqual({
      [`k${FFFD}`]: [`v${FFFD}`, 1, null, { deep: FFFD }],
      at: '2026-01-01T00:00:00.000Z',
    });
  });
});

describe.each(BACKENDS)('poison payloads at the storage boundary (%s)', (kind) => {
  let t: TestDatabase;
  let store: SqlEventStore;
  beforeAll(async () => {
    t = await openTestDatabase(kind);
    store = new SqlEventStore(t.db);
    await t.db.exec('create table poison_probe (id serial primary key, body text, doc jsonb, short varchar(4))');
  });
  afterAll(async () => {
    await t.dispose();
  });

  it('stores NUL and lone surrogates in text parameters as U+FFFD instead of failing the statement', async () => {
    const [row] = await t.db.query<{ body: string }>('insert into poison_probe (body) values ($1) returning body', [`x${NUL}y${LONE_HIGH}z`]);
    expect(row?.body).toBe(`x${FFFD}y${FFFD}z`);
    // Arrays of text (the event store binds unnest($n::text[])) go through the same path.
    const rows = await t.db.query<{ v: string }>('select unnest($1::text[]) as v', [[`a${NUL}`, 'b']]);
    expect(rows.map((r) => r.v)).toEqual([`a${FFFD}`, 'b']);
  });

  it('toJsonb makes jsonb writes safe that plain JSON.stringify fails permanently', async () => {
    const value = { note: `n${NUL}`, [`key${LONE_HIGH}`]: LONE_LOW };
    const raw = await t.db.query('insert into poison_probe (doc) values ($1::jsonb)', [JSON.stringify(value)]).catch((e: unknown) => e);
    expect(classifyDataError(raw)).toEqual({ type: PERMANENT_FAILURE.invalidData, message: expect.stringMatching(/SQLSTATE 22P05/) });
    const [row] = await t.db.query<{ doc: Record<string, unknown> }>('insert into poison_probe (doc) values ($1::jsonb) returning doc', [toJsonb(value)]);
    expect(row?.doc).toEqual({ note: `n${FFFD}`, [`key${FFFD}`]: FFFD });
  });

  it('classifies class-22 data errors as permanent, with their named type', async () => {
    const badNumber = await t.db.query('select $1::int as n', ['not a number']).catch((e: unknown) => e);
    expect(classifyDataError(badNumber)?.type).toBe(PERMANENT_FAILURE.invalidData);
    const tooLong = await t.db.query('insert into poison_probe (short) values ($1)', ['far too long']).catch((e: unknown) => e);
    expect(classifyDataError(tooLong)?.type).toBe(PERMANENT_FAILURE.dataTooLarge);
    const failure = asPermanentFailure(tooLong);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure?.nonRetryable).toBe(true);
    expect(failure?.type).toBe(PERMANENT_FAILURE.dataTooLarge);
    // Not a data error: an unknown table is a bug or a missing migration, and stays retryable.
    expect(asPermanentFailure(await t.db.query('select * from no_such_table').catch((e: unknown) => e))).toBeUndefined();
  });

  it('event store: a poisoned event is stored sanitised, keys included, and still deduplicates', async () => {
    const stream = `run-poison-${kind}`;
    const event = { type: 'step.log', dedupeKey: `${stream}/k${NUL}`, data: { line: `bin${NUL}ary`, [`we${LONE_HIGH}ird`]: [LONE_LOW] } };
    const [stored] = await store.append(stream, [event]);
    expect(stored?.data).toEqual({ line: `bin${FFFD}ary`, [`we${FFFD}ird`]: [FFFD] });
    const again = await store.append(stream, [event]);
    expect(again.map((e) => e.seq)).toEqual([stored?.seq]);
    expect(await store.list(stream, 0)).toHaveLength(1);
  });

  it('event store: an oversized event is refused as tooLarge, which classifies as EventTooLarge', async () => {
    const err = await store
      .append(`run-big-${kind}`, [{ type: 'run.started', dedupeKey: 'k', data: { params: { blob: 'x'.repeat(MAX_EVENT_DATA_BYTES) } } }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventValidationError);
    expect((err as EventValidationError).tooLarge).toBe(true);
    expect(asPermanentFailure(err)?.type).toBe(PERMANENT_FAILURE.eventTooLarge);
    const malformed = await store.append(`run-big-${kind}`, [{ type: '', dedupeKey: 'k', data: {} }]).catch((e: unknown) => e);
    expect(asPermanentFailure(malformed)?.type).toBe(PERMANENT_FAILURE.eventRejected);
    expect(await store.list(`run-big-${kind}`, 0)).toEqual([]);
  });
});

describe('connection errors stay retryable', () => {
  it('a refused connection is not classified as a data error', async () => {
    const db = new PostgresDatabase({ connectionString: 'postgres://nobody:secret@127.0.0.1:1/none' });
    const err = await db.query('select 1').catch((e: unknown) => e);
    await db.close();
    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
    expect(classifyDataError(err)).toBeUndefined();
    expect(asPermanentFailure(err)).toBeUndefined();
  });
});
