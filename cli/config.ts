import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import envPaths from 'env-paths';
import { z } from 'zod';

/**
 * Where the CLI keeps the API URL and token between runs: `config.json` in the user's config
 * directory (env-paths: `$XDG_CONFIG_HOME/copilot` or `~/.config/copilot` on Linux), written with
 * mode 0600 because the token is a credential. Flags beat environment variables beat the file.
 */
export const StoredConfig = z.object({
  apiUrl: z.string().url().optional(),
  token: z.string().min(1).optional(),
});
export type StoredConfig = z.infer<typeof StoredConfig>;

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  // env-paths reads XDG_CONFIG_HOME itself; an explicit COPILOT_CONFIG_DIR wins (tests, several profiles).
  return env.COPILOT_CONFIG_DIR ?? envPaths('copilot', { suffix: '' }).config;
}

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(configDir(env), 'config.json');
}

export function readStoredConfig(env: NodeJS.ProcessEnv = process.env): StoredConfig {
  let text: string;
  try {
    text = readFileSync(configFile(env), 'utf8');
  } catch {
    return {};
  }
  const parsed = StoredConfig.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${configFile(env)} is not a valid copilot config: run "copilot login" again`);
  return parsed.data;
}

export function writeStoredConfig(config: StoredConfig, env: NodeJS.ProcessEnv = process.env): string {
  const file = configFile(env);
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its old mode otherwise
  return file;
}

export interface Connection {
  apiUrl: string;
  token: string | undefined;
}

/**
 * --api-url, then COPILOT_API_URL / COPILOT_TOKEN, then the stored config. There is no --token flag
 * on purpose: a token on the command line ends up in shell history and `ps`.
 */
export function resolveConnection(flags: { apiUrl?: string }, env: NodeJS.ProcessEnv = process.env): Connection {
  const stored = readStoredConfig(env);
  const apiUrl = flags.apiUrl ?? env.COPILOT_API_URL ?? stored.apiUrl ?? DEFAULT_API_URL;
  const token = env.COPILOT_TOKEN ?? stored.token;
  return { apiUrl: apiUrl.replace(/\/+$/, ''), token };
}
