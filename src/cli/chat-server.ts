/**
 * The chat room behind `sockwire serve` (and the demo page). One JSON object per text message.
 *
 * Client → server:
 * - `{"type":"join","nick":"alice"}`  first message; the nickname is cleaned and made unique
 * - `{"type":"say","text":"hello"}`   a chat line, broadcast to everyone who joined
 *
 * Server → client:
 * - `{"type":"welcome","nick":"alice","online":["alice","bob"],"history":[Message…]}`
 * - `{"type":"message","from":"alice","text":"hello","at":1700000000000}`  (`at`: ms since the epoch)
 * - `{"type":"online","users":["alice","bob"]}`  whenever someone joins or leaves
 * - `{"type":"system","text":"bob joined"}`
 * - `{"type":"error","error":"…"}`  the request was refused; the connection stays open
 *
 * Binary messages are refused with close code 1003 (RFC 6455 §7.4.1: data the endpoint cannot accept).
 */
import type { WebSocket } from '../api/websocket';
import type { WebSocketServer } from '../api/websocket-server';
import type { ChatPresence } from './chat-presence';

/** With `sockwire serve --redis`: the topic every joined member subscribes to, so lines reach every process. */
const CHAT_TOPIC = 'chat';

/** Limits of the chat room. */
export interface ChatOptions {
  /** Longest chat line, in characters (code points). */
  maxTextLength?: number;
  /** Longest nickname, in characters (code points). */
  maxNickLength?: number;
  /** How many recent messages a newcomer receives. */
  historySize?: number;
  /** Messages a client may send in a burst before being told to slow down. */
  burst?: number;
  /** Sustained messages per second a client may send. */
  ratePerSecond?: number;
  /** How often idle clients are pinged; one that misses a pong is dropped (0 turns this off). */
  heartbeatMs?: number;
}

/** A chat line as sent to clients. */
export interface ChatMessage {
  from: string;
  text: string;
  at: number;
}

/** The defaults: small enough to keep the room readable and the server cheap. */
export const CHAT_DEFAULTS: Required<ChatOptions> = {
  maxTextLength: 500,
  maxNickLength: 24,
  historySize: 50,
  burst: 20,
  ratePerSecond: 5,
  heartbeatMs: 30000
};

/** Largest frame the chat endpoint accepts: a maximal line JSON-escaped, with room to spare. */
export const CHAT_MAX_PAYLOAD = 16 * 1024;

/** Per-connection state. */
interface Member {
  nick: string | undefined;
  joinedAt: number;
  tokens: number;
  refilledAt: number;
  alive: boolean;
}

/** Control characters other than newline and tab are dropped, so a line cannot rewrite other people's screens. */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g;

function codePointLength(text: string): number {
  return Array.from(text).length;
}

/** A cleaned nickname: one line, single spaces, no control characters; empty if nothing usable is left. */
export function cleanNick(raw: string): string {
  return raw.replace(CONTROL_CHARACTERS, '').replace(/\s+/g, ' ').trim();
}

/** A cleaned chat line: no control characters except newline/tab, trimmed, at most 3 consecutive blank lines. */
export function cleanText(raw: string): string {
  return raw.replace(/\r\n?/g, '\n').replace(CONTROL_CHARACTERS, '').replace(/\n{4,}/g, '\n\n\n').trim();
}

/** Parse one client message into a known request, or explain why not. */
function parseRequest(text: string): { type: 'join'; nick: string } | { type: 'say'; text: string } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: 'messages must be JSON objects' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'messages must be JSON objects' };
  const request = value as Record<string, unknown>;
  if (request.type === 'join') {
    return typeof request.nick === 'string' ? { type: 'join', nick: request.nick } : { error: '"nick" must be a string' };
  }
  if (request.type === 'say') {
    return typeof request.text === 'string' ? { type: 'say', text: request.text } : { error: '"text" must be a string' };
  }
  return { error: 'unknown message type (expected "join" or "say")' };
}

/** A chat room: attach it to a `WebSocketServer` and it handles every connection. */
export class ChatRoom {
  private readonly options: Required<ChatOptions>;
  private readonly members = new Map<WebSocket, Member>();
  private readonly history: ChatMessage[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private server: WebSocketServer | undefined;
  private presence: ChatPresence | undefined;

  /** `now` is injectable so rate limits can be tested without waiting. */
  constructor(options: ChatOptions = {}, now: () => number = Date.now) {
    this.options = { ...CHAT_DEFAULTS, ...options };
    this.now = now;
  }

  /**
   * Handle every connection `server` accepts, and start the heartbeat. With `presence` (a server with a `pubsub`
   * adapter), chat lines go to every process through the broker and the online list covers every process.
   */
  attach(server: WebSocketServer, presence?: ChatPresence): void {
    this.server = server;
    this.presence = presence;
    server.on('connection', (ws: WebSocket) => this.handleConnection(ws));
    if (this.options.heartbeatMs > 0 && this.heartbeat === undefined) {
      this.heartbeat = setInterval(() => this.checkAlive(), this.options.heartbeatMs);
      this.heartbeat.unref(); // never keeps the process alive on its own
    }
  }

  /** Stop the heartbeat (connections are left to the server's owner). */
  stop(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Nicknames of everyone who joined (on every process with presence), in joining order. */
  get online(): string[] {
    if (this.presence !== undefined) return this.presence.users();
    const nicks: string[] = [];
    for (const member of this.members.values()) if (member.nick !== undefined) nicks.push(member.nick);
    return nicks;
  }

  /** Take over one connection. */
  handleConnection(ws: WebSocket): void {
    const member: Member = { nick: undefined, joinedAt: 0, tokens: this.options.burst, refilledAt: this.now(), alive: true };
    this.members.set(ws, member);
    ws.on('pong', () => {
      member.alive = true;
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        ws.close(1003, 'text messages only');
        return;
      }
      this.handleText(ws, member, data.toString('utf8'));
    });
    ws.on('error', () => {
      // The 'close' event follows; nothing else to do (an error must have a listener or it would throw).
    });
    ws.on('close', () => this.leave(ws, member));
  }

  private handleText(ws: WebSocket, member: Member, text: string): void {
    if (!this.takeToken(member)) return this.sendTo(ws, { type: 'error', error: 'slow down: too many messages' });
    const request = parseRequest(text);
    if ('error' in request) return this.sendTo(ws, { type: 'error', error: request.error });
    if (request.type === 'join') return this.join(ws, member, request.nick);
    if (member.nick === undefined) return this.sendTo(ws, { type: 'error', error: 'join first' });
    const line = cleanText(request.text);
    if (line === '') return this.sendTo(ws, { type: 'error', error: 'empty message' });
    if (codePointLength(line) > this.options.maxTextLength) {
      return this.sendTo(ws, { type: 'error', error: `message too long (max ${this.options.maxTextLength} characters)` });
    }
    const message: ChatMessage = { from: member.nick, text: line, at: this.now() };
    this.history.push(message);
    if (this.history.length > this.options.historySize) this.history.shift();
    this.broadcast({ type: 'message', ...message });
  }

  private join(ws: WebSocket, member: Member, rawNick: string): void {
    if (member.nick !== undefined) return this.sendTo(ws, { type: 'error', error: 'already joined' });
    const nick = cleanNick(rawNick);
    if (nick === '') return this.sendTo(ws, { type: 'error', error: 'nickname is empty' });
    if (codePointLength(nick) > this.options.maxNickLength) {
      return this.sendTo(ws, { type: 'error', error: `nickname too long (max ${this.options.maxNickLength} characters)` });
    }
    member.nick = this.uniqueNick(nick);
    member.joinedAt = this.now();
    if (this.presence !== undefined) {
      ws.subscribe(CHAT_TOPIC);
      this.presence.update(this.localUsers());
    }
    this.sendTo(ws, { type: 'welcome', nick: member.nick, online: this.online, history: this.history });
    this.broadcast({ type: 'system', text: `${member.nick} joined` }, ws);
    if (this.presence === undefined) this.onlineChanged();
  }

  /** This process's members, for presence. */
  private localUsers(): Array<{ nick: string; joinedAt: number }> {
    const users: Array<{ nick: string; joinedAt: number }> = [];
    for (const member of this.members.values()) if (member.nick !== undefined) users.push({ nick: member.nick, joinedAt: member.joinedAt });
    return users;
  }

  /** Tell this process's members who is online (each process tells its own). */
  onlineChanged(): void {
    this.broadcastLocal({ type: 'online', users: this.online });
  }

  /** `nick`, or `nick (2)`, `nick (3)`… if someone online already uses it (case-insensitively). */
  private uniqueNick(nick: string): string {
    const taken = new Set(this.online.map((name) => name.toLowerCase()));
    if (!taken.has(nick.toLowerCase())) return nick;
    for (let n = 2; ; n++) {
      const candidate = `${nick} (${n})`;
      if (!taken.has(candidate.toLowerCase())) return candidate;
    }
  }

  private leave(ws: WebSocket, member: Member): void {
    this.members.delete(ws);
    if (member.nick === undefined) return;
    this.broadcast({ type: 'system', text: `${member.nick} left` });
    if (this.presence !== undefined) this.presence.update(this.localUsers());
    else this.onlineChanged();
  }

  /** Token bucket: `burst` messages at once, refilled at `ratePerSecond`. */
  private takeToken(member: Member): boolean {
    const now = this.now();
    const refill = ((now - member.refilledAt) / 1000) * this.options.ratePerSecond;
    member.tokens = Math.min(this.options.burst, member.tokens + refill);
    member.refilledAt = now;
    if (member.tokens < 1) return false;
    member.tokens -= 1;
    return true;
  }

  /** Drop clients that did not answer the previous ping (RFC 6455 §5.5.2: a pong must answer a ping). */
  private checkAlive(): void {
    for (const [ws, member] of this.members) {
      if (!member.alive) {
        ws.terminate();
        continue;
      }
      member.alive = false;
      if (ws.readyState === ws.OPEN) ws.ping();
    }
  }

  private sendTo(ws: WebSocket, payload: object): void {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(payload));
  }

  /** Send to everyone who joined (except `skip`), on every process with presence, serialising once. */
  private broadcast(payload: object, skip?: WebSocket): void {
    if (this.presence !== undefined && this.server !== undefined) {
      this.server.publish(CHAT_TOPIC, JSON.stringify(payload), skip === undefined ? {} : { except: skip });
      return;
    }
    this.broadcastLocal(payload, skip);
  }

  /** Send to everyone who joined on this process (except `skip`), serialising once. */
  private broadcastLocal(payload: object, skip?: WebSocket): void {
    const text = JSON.stringify(payload);
    for (const [ws, member] of this.members) {
      if (ws !== skip && member.nick !== undefined && ws.readyState === ws.OPEN) ws.send(text);
    }
  }
}
