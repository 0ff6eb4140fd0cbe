export default async function globalTeardown(): Promise<void> {
  const servers = ((globalThis as Record<string, unknown>).__copilotServers ?? []) as { stop(): Promise<void> }[];
  await Promise.allSettled(servers.map((s) => s.stop()));
}
