/**
 * The `Sec-WebSocket-Protocol` header grammar (RFC 6455 §4.1, §11.3.4): a comma-separated list of unique tokens.
 */
import { isTokenChar } from './extension-header';

/**
 * Parse a `Sec-WebSocket-Protocol` header value into the set of offered subprotocols, in header order, in one
 * linear pass.
 *
 * Whitespace may surround commas but may not lead or end the header; empty items are rejected; names are
 * case-sensitive (RFC 6455 §11.3.4), so "A" and "a" are distinct.
 *
 * @throws SyntaxError "Unexpected character at index N", "Unexpected end of input" or
 *   'The "NAME" subprotocol is duplicated' (ws's messages).
 */
export function parseSubprotocolHeader(header: string): Set<string> {
  const protocols = new Set<string>();
  let start = -1; // first index of the current token, -1 before it starts
  let end = -1; // index just past the token once whitespace ended it, else -1
  const length = header.length;

  for (let i = 0; i < length; i++) {
    const code = header.charCodeAt(i);
    if (isTokenChar(code)) {
      // A second token in the same item ("a b") is not allowed.
      if (end !== -1) throw new SyntaxError(`Unexpected character at index ${i}`);
      if (start === -1) start = i;
    } else if ((code === 0x20 || code === 0x09) && i !== 0) {
      // RFC 7230 §7: OWS around the list delimiter.
      if (start !== -1 && end === -1) end = i;
    } else if (code === 0x2c && start !== -1) {
      addProtocol(protocols, header.slice(start, end === -1 ? i : end));
      start = -1;
      end = -1;
    } else {
      throw new SyntaxError(`Unexpected character at index ${i}`);
    }
  }

  // The header must end inside a token: not empty, not after a comma, not with trailing whitespace.
  if (start === -1 || end !== -1) throw new SyntaxError('Unexpected end of input');
  addProtocol(protocols, header.slice(start));
  return protocols;
}

function addProtocol(protocols: Set<string>, name: string): void {
  if (protocols.has(name)) throw new SyntaxError(`The "${name}" subprotocol is duplicated`);
  protocols.add(name);
}
