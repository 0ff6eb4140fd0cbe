import { Writable } from 'node:stream';
import { createApp } from '../../../api/app';
import { createAuthenticator } from '../../../api/auth/authenticator';
import type { AppDeps, RunOperations } from '../../../api/deps';
import { startHttpServer, type RunningHttpServer } from '../../../api/httpServer';
import { createLogger } from '../../../api/logger';
import type { AppConfig } from '../../../config/env';
import type { MemoryRuntime } from '../../../memory/openMemory';
import { catalogueOf } from '../../api/support/fixtures';

/**
 * The real app with only memory wired (runs are not involved: the run port is a stub that is never
 * called), on a free port, with every log line it writes kept for "no secret in the logs" checks.
 */
export interface MemoryApi {
  http: RunningHttpServer;
  logs: string[];
}

export async function startMemoryApi(config: AppConfig, memory: MemoryRuntime | undefined): Promise<MemoryApi> {
  const logs: string[] = [];
  const destination = new Writable({ write: (c: Buffer, _e, done) => void (logs.push(c.toString()), done()) });
  const deps: AppDeps = {
    config,
    runs: {} as RunOperations,
    catalogue: catalogueOf([]),
    fanout: { subscribe: () => ({ close() {} }) },
    authenticator: createAuthenticator(config),
    logger: createLogger({ level: 'debug', destination }),
    readiness: { temporal: async () => undefined, database: async () => undefined },
    ...(memory ? { memory: memory.service } : {}),
  };
  return { http: await startHttpServer(createApp(deps), { host: '127.0.0.1', port: 0 }), logs };
}
