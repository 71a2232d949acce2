/**
 * Proxy settings from environment variables, as a pure function of the variables (the io layer passes
 * `process.env`). The exact rules are the README's "Proxies" table; this file is their one implementation.
 */
import { bypassesProxy, parseNoProxy } from './no-proxy';

/** Environment variables by name, as `process.env` holds them. */
export type ProxyEnvironment = Readonly<Record<string, string | undefined>>;

/** Variables consulted for each target scheme, first match wins. */
export const PROXY_VARIABLES: Readonly<Record<'ws:' | 'wss:', readonly string[]>> = {
  'ws:': ['ws_proxy', 'http_proxy', 'all_proxy'],
  'wss:': ['wss_proxy', 'https_proxy', 'all_proxy']
};

/** A proxy chosen from the environment: its URL text and the variable it came from (for messages). */
export interface EnvironmentProxy {
  readonly variable: string;
  readonly url: string;
}

/**
 * One variable, lower-case name first: when the lower-case one is set (even to `''`) the upper-case one is not
 * read. Returns the name actually read and its value, or null when neither is set or the value is empty.
 */
export function readProxyVariable(env: ProxyEnvironment, name: string): { name: string; value: string } | null {
  const lower = env[name];
  const upper = name.toUpperCase();
  const [used, value] = lower !== undefined ? [name, lower] : [upper, env[upper]];
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? null : { name: used, value: trimmed };
}

/**
 * The proxy for a `ws:`/`wss:` connection to `host`:`port` (effective port), or null for a direct connection:
 * when no variable names one, or when `no_proxy` matches the target.
 */
export function proxyFromEnvironment(env: ProxyEnvironment, secure: boolean, host: string, port: number): EnvironmentProxy | null {
  let chosen: { name: string; value: string } | null = null;
  for (const name of PROXY_VARIABLES[secure ? 'wss:' : 'ws:']) {
    chosen = readProxyVariable(env, name);
    if (chosen !== null) break;
  }
  if (chosen === null) return null;
  const noProxy = readProxyVariable(env, 'no_proxy');
  if (noProxy !== null && bypassesProxy(parseNoProxy(noProxy.value), host, port)) return null;
  return { variable: chosen.name, url: chosen.value };
}

/** Node's own switch (`--use-env-proxy`, or `NODE_USE_ENV_PROXY=1`): the flag wins over the variable. */
export function nodeUsesEnvProxy(env: ProxyEnvironment, execArgv: readonly string[]): boolean {
  const flags = [...(env.NODE_OPTIONS ?? '').split(/\s+/), ...execArgv];
  for (let i = flags.length - 1; i >= 0; i--) {
    if (flags[i] === '--use-env-proxy') return true;
    if (flags[i] === '--no-use-env-proxy') return false;
  }
  return env.NODE_USE_ENV_PROXY === '1';
}
