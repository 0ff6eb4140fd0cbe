import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * The API's pino logger. Request logs carry only chosen fields (never headers), and `redact` is the
 * second line of defence: anything that looks like a credential is censored wherever it is nested.
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

export function createLogger(options: { level: string; destination?: DestinationStream; name?: string }): Logger {
  return pino(
    {
      name: options.name ?? 'copilot-api',
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    options.destination,
  );
}
