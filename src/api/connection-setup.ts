/**
 * What a WebSocket's connection starts from: the {@link ConnectionConfig} (fixed for its life) and the payload
 * limit. A server's connections share one setup per options object. ws reads the server's options at each upgrade,
 * so the shared setup is rebuilt when they change; checking that reads the options' raw values and builds nothing.
 */
import { connectionConfig, type ConnectionConfig } from '../io/connection';
import { LIMIT_DEFAULTS, limitInputs, resolveLimits, sameLimitInputs, type ConnectionLimits } from './options';

/** The options a setup is made from (a server's resolved options, or a client's). */
export interface SetupOptions extends ConnectionLimits {
  generateMask?: (mask: Buffer) => void;
}

/** A connection's configuration and payload limit. */
export interface ConnectionSetup {
  readonly config: ConnectionConfig;
  readonly maxPayload: number;
}

/** The setup of `options`' limits, with unset ones taken from `defaults`. */
export function connectionSetup(isServer: boolean, options: SetupOptions, defaults: Required<ConnectionLimits>): ConnectionSetup {
  const limits = resolveLimits(options, defaults);
  return { config: connectionConfig(isServer, limits, options.generateMask), maxPayload: limits.maxPayload };
}

interface SharedSetup extends ConnectionSetup {
  /** What the options' limits read when the setup was built (its config holds the `generateMask` it was built with). */
  readonly inputs: readonly unknown[];
}

const sharedSetups = new WeakMap<SetupOptions, SharedSetup>();

/** The setup shared by every server-side connection made with `options` (rebuilt if they changed since). */
export function sharedServerSetup(options: SetupOptions): ConnectionSetup {
  const shared = sharedSetups.get(options);
  if (shared !== undefined && shared.config.generateMask === options.generateMask && sameLimitInputs(options, shared.inputs)) {
    return shared;
  }
  const setup: SharedSetup = { ...connectionSetup(true, options, LIMIT_DEFAULTS), inputs: limitInputs(options) };
  sharedSetups.set(options, setup);
  return setup;
}
