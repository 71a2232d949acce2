/**
 * permessage-deflate negotiation (RFC 7692 §5, §7.1): build the client's offer, validate offers and responses, and
 * pick the agreed parameters. Pure functions over plain objects; no zlib here.
 */

/** Options that shape the offer and what we accept (the negotiation half of `PerMessageDeflateOptions`). */
export interface DeflateNegotiationOptions {
  /** Ask for / agree to the server resetting its compression context after every message. */
  serverNoContextTakeover?: boolean;
  /** Ask for / agree to the client resetting its compression context after every message. */
  clientNoContextTakeover?: boolean;
  /** The server's LZ77 window size (8–15); `false` refuses offers that limit it. */
  serverMaxWindowBits?: number | boolean;
  /** The client's LZ77 window size (8–15); `true` offers the parameter without a value, `false` omits it. */
  clientMaxWindowBits?: number | boolean;
}

/**
 * Agreed (or offered) permessage-deflate parameters, with values already converted (RFC 7692 §7.1). A type alias
 * rather than an interface so it fits `Record<string, ...>` parameters (e.g. the header formatter).
 */
export type DeflateParams = {
  server_no_context_takeover?: true;
  client_no_context_takeover?: true;
  server_max_window_bits?: number | true;
  client_max_window_bits?: number | true;
};

/**
 * One offer or response as the header parser returns it: parameter name → its values (`true` for a parameter
 * without a value). Numbers are accepted too, for callers that build offers by hand.
 */
export type RawDeflateParams = Readonly<Record<string, ReadonlyArray<string | number | true>>>;

type ParamName = keyof DeflateParams;

/**
 * The offer a client sends (RFC 7692 §5.1). Key order and truthiness rules follow ws so the header reads the same.
 */
export function buildOffer(options: DeflateNegotiationOptions): DeflateParams {
  const offer: DeflateParams = {};
  if (options.serverNoContextTakeover) offer.server_no_context_takeover = true;
  if (options.clientNoContextTakeover) offer.client_no_context_takeover = true;
  if (options.serverMaxWindowBits) offer.server_max_window_bits = options.serverMaxWindowBits;
  if (options.clientMaxWindowBits) {
    offer.client_max_window_bits = options.clientMaxWindowBits;
  } else if (options.clientMaxWindowBits === undefined || options.clientMaxWindowBits === null) {
    // RFC 7692 §7.1.2.2: offering it without a value tells the server it may pick our window size.
    offer.client_max_window_bits = true;
  }
  return offer;
}

/**
 * Validate every offer (server) or response (client) and convert values: unknown names, repeated parameters and bad
 * values throw, even in an offer that would not have been chosen (ws does the same).
 */
export function normalizeConfigurations(
  configurations: ReadonlyArray<RawDeflateParams>,
  isServer: boolean
): DeflateParams[] {
  return configurations.map((raw) => normalizeParams(raw, isServer));
}

function normalizeParams(raw: RawDeflateParams, isServer: boolean): DeflateParams {
  const params: DeflateParams = {};
  for (const name of Object.keys(raw)) {
    const values = raw[name] as ReadonlyArray<string | number | true>;
    // RFC 7692 §7.1: each parameter may appear at most once per offer.
    if (values.length > 1) throw new Error(`Parameter "${name}" must have only a single value`);
    const value = values[0];
    switch (name) {
      case 'server_no_context_takeover':
      case 'client_no_context_takeover':
        // RFC 7692 §7.1.1.1, §7.1.1.2: these parameters have no value.
        if (value !== true) throw invalidValue(name, value);
        params[name] = true;
        break;
      case 'server_max_window_bits': {
        // RFC 7692 §7.1.2.1: the value is mandatory.
        const bits = parseWindowBits(value);
        if (bits === undefined) throw invalidValue(name, value);
        params[name] = bits;
        break;
      }
      case 'client_max_window_bits': {
        // RFC 7692 §7.1.2.2: only an offer may leave it without a value.
        if (value === true && isServer) {
          params[name] = true;
          break;
        }
        const bits = parseWindowBits(value);
        if (bits === undefined) throw invalidValue(name, value);
        params[name] = bits;
        break;
      }
      default:
        throw new Error(`Unknown parameter "${name}"`);
    }
  }
  return params;
}

/**
 * RFC 7692 §7.1.2: "a decimal integer value without leading zeroes between 8 to 15, inclusive". Stricter than ws,
 * which also takes forms such as `08`, `+9`, `9.0` or `0x9`.
 */
function parseWindowBits(value: string | number | true | undefined): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 8 && value <= 15 ? value : undefined;
  if (typeof value !== 'string' || !/^(?:[89]|1[0-5])$/.test(value)) return undefined;
  return Number(value);
}

function invalidValue(name: string, value: string | number | true | undefined): TypeError {
  return new TypeError(`Invalid value for parameter "${name}": ${String(value)}`);
}

/**
 * Server side (RFC 7692 §5.1, §7.1): answer the first offer we can honour with our options applied.
 * @throws Error "None of the extension offers can be accepted" when no offer fits.
 */
export function acceptOffer(options: DeflateNegotiationOptions, offers: ReadonlyArray<DeflateParams>): DeflateParams {
  const chosen = offers.find((offer) => canAcceptOffer(options, offer));
  if (chosen === undefined) throw new Error('None of the extension offers can be accepted');

  // Copy so the caller's objects stay untouched; keys the client sent keep their order, ours are appended.
  const accepted: DeflateParams = { ...chosen };
  if (options.serverNoContextTakeover) accepted.server_no_context_takeover = true;
  if (options.clientNoContextTakeover) accepted.client_no_context_takeover = true;
  if (typeof options.serverMaxWindowBits === 'number') {
    accepted.server_max_window_bits = options.serverMaxWindowBits;
  }
  if (typeof options.clientMaxWindowBits === 'number') {
    accepted.client_max_window_bits = options.clientMaxWindowBits;
  } else if (accepted.client_max_window_bits === true || options.clientMaxWindowBits === false) {
    // RFC 7692 §7.1.2.2: a response must not carry it without a value; we keep the default window instead.
    delete accepted.client_max_window_bits;
  }
  return accepted;
}

function canAcceptOffer(options: DeflateNegotiationOptions, offer: DeflateParams): boolean {
  // RFC 7692 §7.1.1.1: the client demands a context reset we refuse to do.
  if (options.serverNoContextTakeover === false && offer.server_no_context_takeover) return false;
  const serverBits = offer.server_max_window_bits;
  if (serverBits !== undefined) {
    // RFC 7692 §7.1.2.1: we may use a smaller window than asked, never a larger one.
    if (options.serverMaxWindowBits === false) return false;
    if (typeof options.serverMaxWindowBits === 'number' && options.serverMaxWindowBits > Number(serverBits)) {
      return false;
    }
  }
  const clientBits = offer.client_max_window_bits;
  if (typeof options.clientMaxWindowBits === 'number') {
    // RFC 7692 §7.1.2.2: we can only limit the client's window if it said it can handle that.
    if (clientBits === undefined) return false;
    if (clientBits !== true && options.clientMaxWindowBits > clientBits) return false;
  }
  return true;
}

/**
 * Client side (RFC 7692 §5.2): check the server's response against what we offered and complete it.
 * @throws Error when the response uses a parameter in a way our offer did not allow.
 */
export function acceptResponse(
  options: DeflateNegotiationOptions,
  responses: ReadonlyArray<DeflateParams>
): DeflateParams {
  const first = responses[0];
  if (first === undefined) throw new TypeError('No extension response to accept');
  const params: DeflateParams = { ...first };
  if (options.clientNoContextTakeover === false && params.client_no_context_takeover) {
    throw unexpected('client_no_context_takeover', 'Unexpected parameter');
  }
  const clientBits = params.client_max_window_bits;
  if (clientBits === undefined) {
    if (typeof options.clientMaxWindowBits === 'number') params.client_max_window_bits = options.clientMaxWindowBits;
  } else if (
    options.clientMaxWindowBits === false ||
    (typeof options.clientMaxWindowBits === 'number' && Number(clientBits) > options.clientMaxWindowBits)
  ) {
    // RFC 7692 §7.1.2.2: the server may only lower the window we offered, and only if we offered the parameter.
    throw unexpected('client_max_window_bits', 'Unexpected or invalid parameter');
  }
  return params;
}

function unexpected(name: ParamName, prefix: string): Error {
  return new Error(`${prefix} "${name}"`);
}
