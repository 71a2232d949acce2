/**
 * The `Sec-WebSocket-Extensions` header grammar (RFC 6455 §9.1, RFC 7692 §5): parse an offer/response list into
 * plain data and format such data back into a header value.
 *
 * Results are built from null-prototype objects, so extension or parameter names such as `__proto__`,
 * `constructor` or `hasOwnProperty` are ordinary keys and can never reach `Object.prototype`.
 */

/** The parameters of one extension offer: name → values in header order (`true` = parameter without a value). */
export type ExtensionParams = Record<string, Array<string | true>>;

/** A parsed header: extension name → one parameter object per offer of that extension, in header order. */
export type ExtensionOffers = Record<string, ExtensionParams[]>;

/** What {@link formatExtensionHeader} accepts for one offer's parameters (scalars or lists, like ws). */
export type FormattableParams = Record<string, string | number | true | Array<string | number | true>>;

/** What {@link formatExtensionHeader} accepts: one or several offers per extension name. */
export type FormattableExtensions = Record<string, ExtensionParams | ExtensionParams[] | FormattableParams>;

// RFC 7230 §3.2.6: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
// / DIGIT / ALPHA. A lookup table keeps the per-character test to one indexed load.
const TCHAR_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(128);
  const symbols = "!#$%&'*+-.^_`|~";
  for (let i = 0; i < symbols.length; i++) table[symbols.charCodeAt(i)] = 1;
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1; // DIGIT
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1; // upper-case ALPHA
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1; // lower-case ALPHA
  return table;
})();

/**
 * Whether the UTF-16 code unit `code` is an RFC 7230 §3.2.6 `tchar` (a character allowed in a token).
 * Shared by the extension and subprotocol grammars.
 */
export function isTokenChar(code: number): boolean {
  return code < 128 && TCHAR_TABLE[code] === 1;
}

/** Whether `code` is optional whitespace (RFC 7230 §3.2.3 OWS: SP / HTAB). */
function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Where the parser is in the grammar. */
type Phase =
  | 'extensionName' // the token naming an extension
  | 'paramName' // the token naming a parameter, after ';'
  | 'paramValue' // an unquoted token value, after '='
  | 'quotedValue' // inside "…"
  | 'afterQuoted'; // after the closing quote of a value

/** Within a token phase: nothing read yet, inside the token, or past it (only whitespace allowed). */
type TokenStep = 'before' | 'inside' | 'after';

function unexpectedCharacter(index: number): SyntaxError {
  return new SyntaxError(`Unexpected character at index ${index}`);
}

function addEntry<T>(target: Record<string, T[]>, name: string, value: T): void {
  // `target` has a null prototype, so `target[name]` only ever sees own keys.
  const list = target[name];
  if (list === undefined) target[name] = [value];
  else list.push(value);
}

function nullObject<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * Parse a `Sec-WebSocket-Extensions` header value (RFC 6455 §9.1 grammar, RFC 7692 §5 quoting rules) in one
 * linear pass.
 *
 * Whitespace may surround `,` and `;` but not `=`, not lead the header and not end it. A quoted value must be
 * non-empty and hold only token characters, each optionally escaped by a backslash (RFC 6455 §9.1: a quoted value
 * must conform to the token grammar once unescaped).
 *
 * @throws SyntaxError "Unexpected character at index N" or "Unexpected end of input" (ws's messages).
 * @returns extension name → list of parameter objects; every object has a null prototype.
 */
export function parseExtensionHeader(header: string): ExtensionOffers {
  const offers = nullObject<ExtensionParams[]>();
  let params = nullObject<Array<string | true>>();
  let phase: Phase = 'extensionName';
  let step: TokenStep = 'before';
  let start = -1; // first index of the token or quoted text being read
  let end = -1; // index just past that token
  let extensionName = '';
  let paramName = '';
  let escaping = false; // the previous character was a backslash inside quotes
  let hasEscapes = false; // the quoted text contains backslashes to strip

  const length = header.length;
  for (let i = 0; i < length; i++) {
    const code = header.charCodeAt(i);

    if (phase === 'quotedValue') {
      if (escaping) {
        // Only a token character may follow the backslash, so the unescaped value is still a token.
        if (!isTokenChar(code)) throw unexpectedCharacter(i);
        escaping = false;
      } else if (code === BACKSLASH) {
        escaping = true;
        hasEscapes = true;
      } else if (code === QUOTE) {
        if (i === start) throw unexpectedCharacter(i); // empty quoted string
        const raw = header.slice(start, i);
        addEntry(params, paramName, hasEscapes ? raw.replace(/\\/g, '') : raw);
        phase = 'afterQuoted';
      } else if (!isTokenChar(code)) {
        throw unexpectedCharacter(i);
      }
      continue;
    }

    if (isTokenChar(code)) {
      if (phase === 'afterQuoted' || step === 'after') throw unexpectedCharacter(i);
      if (step === 'before') {
        start = i;
        step = 'inside';
      }
      continue;
    }

    if (isWhitespace(code)) {
      // Whitespace may not lead the header, nor follow '=' directly.
      if (i === 0 || (phase === 'paramValue' && step === 'before')) throw unexpectedCharacter(i);
      if (step === 'inside') {
        end = i;
        step = 'after';
      }
      continue;
    }

    if (code === EQUALS) {
      // RFC 6455 §9.1: extension-param = token [ "=" (token | quoted-string) ]; no whitespace before '='.
      if (phase !== 'paramName' || step !== 'inside') throw unexpectedCharacter(i);
      paramName = header.slice(start, i);
      phase = 'paramValue';
      step = 'before';
      continue;
    }

    if (code === QUOTE) {
      if (phase !== 'paramValue' || step !== 'before') throw unexpectedCharacter(i);
      phase = 'quotedValue';
      start = i + 1;
      escaping = false;
      hasEscapes = false;
      continue;
    }

    if (code === SEMICOLON || code === COMMA) {
      if (phase !== 'afterQuoted') {
        if (step === 'before') throw unexpectedCharacter(i);
        const token = header.slice(start, step === 'after' ? end : i);
        if (phase === 'extensionName') extensionName = token;
        else if (phase === 'paramName') addEntry(params, token, true);
        else addEntry(params, paramName, token);
      }
      if (code === COMMA) {
        addEntry(offers, extensionName, params);
        params = nullObject<Array<string | true>>();
        phase = 'extensionName';
      } else {
        phase = 'paramName';
      }
      step = 'before';
      continue;
    }

    throw unexpectedCharacter(i);
  }

  // The header must end right after a token or a closing quote (no trailing whitespace or separator).
  if (phase === 'afterQuoted') {
    if (isWhitespace(header.charCodeAt(length - 1))) throw new SyntaxError('Unexpected end of input');
  } else if (step !== 'inside' || phase === 'quotedValue') {
    throw new SyntaxError('Unexpected end of input');
  } else {
    const token = header.slice(start);
    if (phase === 'extensionName') extensionName = token;
    else if (phase === 'paramName') addEntry(params, token, true);
    else addEntry(params, paramName, token);
  }
  addEntry(offers, extensionName, params);
  return offers;
}

/**
 * Format extension offers as a `Sec-WebSocket-Extensions` header value, the inverse of
 * {@link parseExtensionHeader}, with ws's exact output: offers joined by `", "`, parameters by `"; "`, a `true`
 * value written as the bare name, a list written as one parameter per value. Values are written as given (no
 * quoting), so callers pass tokens.
 */
export function formatExtensionHeader(extensions: FormattableExtensions): string {
  const parts: string[] = [];
  for (const name of Object.keys(extensions)) {
    const value: unknown = extensions[name];
    const offers: unknown[] = Array.isArray(value) ? value : [value];
    const formatted: string[] = [];
    for (const offer of offers) formatted.push(formatOffer(name, offer));
    parts.push(formatted.join(', '));
  }
  return parts.join(', ');
}

/** One offer: the name, then each parameter (one entry per value), joined by `"; "`. */
function formatOffer(name: string, params: unknown): string {
  // Object.keys throws the usual TypeError for null/undefined, as ws does.
  const record = params as Record<string, unknown>;
  const pieces = [name];
  for (const key of Object.keys(record)) {
    const raw = record[key];
    const values: unknown[] = Array.isArray(raw) ? raw : [raw];
    const rendered: string[] = [];
    // A template literal (not String()) so a Symbol value throws, as in ws.
    for (const v of values) rendered.push(v === true ? key : `${key}=${v}`);
    pieces.push(rendered.join('; '));
  }
  return pieces.join('; ');
}
