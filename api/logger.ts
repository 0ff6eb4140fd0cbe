import pino, { type DestinationStream, type Logger } from 'pino';
import { sharedRedactor } from '../memory/redaction/redactor';
import { activeTraceIds } from '../observability/tracing';

/**
 * The pino logger of the API and the worker. Request logs carry only chosen fields (never
 * headers); `redact` censors credential-named fields wherever they are nested; and free text (the
 * message, string arguments, error messages and stacks, which may quote a failed command's output or
 * a backend's error body) goes through the same Redactor as memory and LLM input.
 */
export const REDACTED_PATHS = [
  'authorization',
  'token',
  'password',
  'secret',
  '*.authorization',
  '*.token',
  '*.password',
  '*.secret',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'request.headers.authorization',
];

export function redactLogText(text: string): string {
  return sharedRedactor().redact(text).text;
}

function redactError(err: unknown): unknown {
  const serialised = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  if (typeof serialised.message === 'string') serialised.message = redactLogText(serialised.message);
  if (typeof serialised.stack === 'string') serialised.stack = redactLogText(serialised.stack);
  return serialised;
}

export function createLogger(options: { level: string; destination?: DestinationStream; name?: string }): Logger {
  return pino(
    {
      name: options.name ?? 'copilot-api',
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: redactError },
      hooks: {
        logMethod(args, method) {
          const clean = args.map((a: unknown) => (typeof a === 'string' ? redactLogText(a) : a)) as Parameters<typeof method>;
          method.apply(this, clean);
        },
      },
      // traceId/spanId of the active span (when tracing is on), so a log line leads to its trace.
      mixin: activeTraceIds,
    },
    options.destination,
  );
}
