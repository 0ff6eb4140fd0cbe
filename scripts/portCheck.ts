import net from 'node:net';

/**
 * Dev mode owns its ports. If one is taken (most often by another `./scripts/dev.sh` on the same
 * machine), starting anyway would attach this process to someone else's Temporal server or fail
 * half-way; instead it stops before touching anything and says which port, who uses it for what,
 * and which variable moves it.
 */
export interface PortClaim {
  host: string;
  port: number;
  what: string;
  variable: string;
  example: string;
}

function taken(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(true) : reject(err)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

export class PortTakenError extends Error {
  constructor(readonly claims: readonly PortClaim[]) {
    super(
      [
        ...claims.map((c) => `dev: port ${c.port} on ${c.host} (${c.what}, ${c.variable}) is already in use.`),
        'Another ./scripts/dev.sh may be running on this machine: stop it, or start this one on other ports, e.g.',
        `  ${claims.map((c) => c.example).join(' ')} DATA_DIR=.data-2 ./scripts/dev.sh`,
      ].join('\n'),
    );
    this.name = 'PortTakenError';
  }
}

export async function assertPortsFree(claims: readonly PortClaim[]): Promise<void> {
  const busy: PortClaim[] = [];
  for (const claim of claims) if (claim.port !== 0 && (await taken(claim.host, claim.port))) busy.push(claim);
  if (busy.length > 0) throw new PortTakenError(busy);
}
