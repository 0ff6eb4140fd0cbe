import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CopilotApp } from './app';
import { clientErrorResponse } from './errorHandler';

/**
 * Listening and graceful closing for the API, shared by `npm run api`, scripts/dev.ts and tests.
 * Closing ends SSE streams first (they never finish on their own), stops accepting connections,
 * lets in-flight requests finish within `graceMs`, then drops whatever is left.
 */
export interface RunningHttpServer {
  server: Server;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  close(graceMs?: number): Promise<void>;
}

export async function startHttpServer(app: CopilotApp, options: { host: string; port: number }): Promise<RunningHttpServer> {
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(options.port, options.host, (err?: Error) => (err ? reject(err) : resolve(listening)));
    listening.once('error', reject);
  });
  // Longer than any proxy's idle timeout is pointless for JSON calls; SSE keeps itself alive with heartbeats.
  server.keepAliveTimeout = 5_000;
  // Errors of Node's HTTP parser (lying Content-Length, bad request line) answer problem+json too.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(err));
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closing: Promise<void> | undefined;

  return {
    server,
    url: `http://${host}:${port}`,
    close(graceMs = 10_000) {
      closing ??= new Promise<void>((resolve) => {
        app.closeEventStreams();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
