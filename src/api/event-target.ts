/**
 * The browser-style event surface of a WebSocket: the `Event` classes, `addEventListener`/`removeEventListener`
 * and the `onopen`/`onmessage`/`onerror`/`onclose` attributes, all layered over Node's `EventEmitter`.
 *
 * Only the four WebSocket events take part (WHATWG HTML §9.3 "The WebSocket interface"); every listener is stored
 * as an emitter listener wrapping the user's handler, so `listenerCount()` and ordering stay those of the emitter.
 */
import type { Blob, Buffer } from 'node:buffer';
import type { EventEmitter } from 'node:events';

/**
 * Key of the getter a WebSocket implements to say whether the closing handshake completed, i.e. a close frame was
 * both sent and received (RFC 6455 §7.1.4; WHATWG HTML §9.3 `wasClean`).
 */
export const kWasClean: unique symbol = Symbol('kWasClean');

/** The emitter the listener functions are installed on: a WebSocket, seen structurally. */
export type EmitterLike = EventEmitter & { readonly [kWasClean]: boolean };

// Private storage keys: the event fields are read through prototype getters, as in ws, so instances own no
// string-keyed properties (Object.keys(event) is empty).
const kType = Symbol('kType');
const kTarget = Symbol('kTarget');
const kData = Symbol('kData');
const kCode = Symbol('kCode');
const kReason = Symbol('kReason');
const kWasCleanValue = Symbol('kWasCleanValue');
const kError = Symbol('kError');
const kMessage = Symbol('kMessage');

/** Makes the named accessors of a class prototype enumerable, which is how ws exposes its event fields. */
function makeEnumerable(proto: object, names: readonly string[]): void {
  for (const name of names) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (descriptor !== undefined) Object.defineProperty(proto, name, { ...descriptor, enumerable: true });
  }
}

/** A minimal DOM `Event` (DOM Standard §2.2): a type and the target it was dispatched on. */
export class Event {
  /** @internal */ readonly [kType]: string;
  /** @internal */ [kTarget]: unknown = null;

  /** @param type - the event name, e.g. `'open'` */
  constructor(type: string) {
    this[kType] = type;
  }

  /** The object the event was dispatched on (the WebSocket), or `null` before dispatch. */
  get target(): unknown {
    return this[kTarget];
  }

  /** The event name. */
  get type(): string {
    return this[kType];
  }
}
makeEnumerable(Event.prototype, ['target', 'type']);

/** A message payload as listeners see it: text as a string, binary data in the form `binaryType` selects. */
export type MessageEventData = string | Buffer | ArrayBuffer | Buffer[] | Blob;

/** Options of {@link MessageEvent}. */
export interface MessageEventInit {
  /** The message payload. */
  data?: MessageEventData;
}

/** The event of a received message: `data` is a string for text, the binary form chosen by `binaryType` otherwise. */
export class MessageEvent extends Event {
  /** @internal */ readonly [kData]: MessageEventData;

  /**
   * @param type - the event name
   * @param options - `data` defaults to `null`
   */
  constructor(type: string, options: MessageEventInit = {}) {
    super(type);
    // ws stores null when no data is given; dispatched events always carry data, so the type leaves null out.
    this[kData] = options.data === undefined ? (null as unknown as MessageEventData) : options.data;
  }

  /** The message payload (`null` only on an event constructed without data). */
  get data(): MessageEventData {
    return this[kData];
  }
}
makeEnumerable(MessageEvent.prototype, ['data']);

/** Options of {@link CloseEvent}. */
export interface CloseEventInit {
  /** The close code (RFC 6455 §7.1.5). */
  code?: number;
  /** The close reason as text (RFC 6455 §7.1.6). */
  reason?: string;
  /** Whether the closing handshake completed. */
  wasClean?: boolean;
}

/** The event of a closed connection. */
export class CloseEvent extends Event {
  /** @internal */ readonly [kCode]: number;
  /** @internal */ readonly [kReason]: string;
  /** @internal */ readonly [kWasCleanValue]: boolean;

  /**
   * @param type - the event name
   * @param options - `code` defaults to 0, `reason` to `''`, `wasClean` to `false`
   */
  constructor(type: string, options: CloseEventInit = {}) {
    super(type);
    // Only `undefined` takes the default; any other value (even null) is kept, as ws does.
    this[kCode] = options.code === undefined ? 0 : options.code;
    this[kReason] = options.reason === undefined ? '' : options.reason;
    this[kWasCleanValue] = options.wasClean === undefined ? false : options.wasClean;
  }

  /** The close code (RFC 6455 §7.1.5: 1005 when the peer sent none, 1006 without a close frame). */
  get code(): number {
    return this[kCode];
  }

  /** The close reason (RFC 6455 §7.1.6). */
  get reason(): string {
    return this[kReason];
  }

  /** Whether a close frame was both sent and received before the connection ended. */
  get wasClean(): boolean {
    return this[kWasCleanValue];
  }
}
makeEnumerable(CloseEvent.prototype, ['code', 'reason', 'wasClean']);

/** Options of {@link ErrorEvent}. */
export interface ErrorEventInit {
  /** The error that occurred. */
  error?: unknown;
  /** A description of it. */
  message?: string;
}

/** The event of an error on the connection. */
export class ErrorEvent extends Event {
  /** @internal */ readonly [kError]: unknown;
  /** @internal */ readonly [kMessage]: string;

  /**
   * @param type - the event name
   * @param options - `error` defaults to `null`, `message` to `''`
   */
  constructor(type: string, options: ErrorEventInit = {}) {
    super(type);
    this[kError] = options.error === undefined ? null : options.error;
    this[kMessage] = options.message === undefined ? '' : options.message;
  }

  /** The error that occurred. */
  get error(): unknown {
    return this[kError];
  }

  /** The error's message. */
  get message(): string {
    return this[kMessage];
  }
}
makeEnumerable(ErrorEvent.prototype, ['error', 'message']);

/** An object listener: its `handleEvent` is called with the listener itself as `this` (DOM Standard §2.7). */
export interface EventListenerObject {
  /** Called with each event. */
  handleEvent(event: Event): void;
}

/** A listener as accepted by {@link addEventListener}. */
export type EventListenerLike = ((event: Event) => void) | EventListenerObject;

/** Options of {@link addEventListener}. */
export interface AddEventListenerOptions {
  /** Remove the listener after its first call. */
  once?: boolean;
}

/** What an installed emitter listener stands for: the user's handler, and whether an `on*` attribute set it. */
interface ListenerRecord {
  readonly handler: unknown;
  readonly forAttribute: boolean;
}

// Emitter listener → record. A WeakMap keeps the wrappers plain functions and lets removed ones be collected.
const records = new WeakMap<object, ListenerRecord>();

/** Calls a listener the DOM way: objects through `handleEvent` with themselves as `this`, functions on the target. */
function callListener(handler: unknown, target: EmitterLike, event: Event): void {
  if (typeof handler === 'function') {
    Reflect.apply(handler, target, [event]);
    return;
  }
  if (typeof handler === 'object' && handler !== null) {
    const handleEvent: unknown = Reflect.get(handler, 'handleEvent');
    if (handleEvent) {
      // A truthy non-function throws a TypeError here, as in ws.
      Reflect.apply(handleEvent as (...args: unknown[]) => unknown, handler, [event]);
      return;
    }
  }
  throw new TypeError('The listener must be a function or an object with a handleEvent method');
}

/** Stamps the target on an event and hands it to the listener. */
function dispatch(handler: unknown, target: EmitterLike, event: Event): void {
  event[kTarget] = target;
  callListener(handler, target, event);
}

/** Builds the emitter listener that turns the emitter arguments of `type` into an event, or null for other types. */
function createWrapper(target: EmitterLike, type: string, handler: unknown): ((...args: unknown[]) => void) | null {
  switch (type) {
    case 'open':
      return () => dispatch(handler, target, new Event('open'));
    case 'message':
      // Text arrives as a Buffer with isBinary false; DOM listeners get a string (WHATWG HTML §9.3.4).
      return (data, isBinary) =>
        dispatch(
          handler,
          target,
          new MessageEvent('message', { data: isBinary ? (data as MessageEventData) : String(data) })
        );
    case 'error':
      return (error) => {
        const message: unknown =
          typeof error === 'object' && error !== null ? Reflect.get(error, 'message') : undefined;
        dispatch(handler, target, new ErrorEvent('error', { error, message: message as string | undefined }));
      };
    case 'close':
      return (code, reason) =>
        dispatch(
          handler,
          target,
          new CloseEvent('close', { code: code as number, reason: String(reason), wasClean: target[kWasClean] })
        );
    default:
      return null;
  }
}

/** Installs a wrapper for `handler` on `target`; shared by `addEventListener` and the `on*` setters. */
function attach(target: EmitterLike, type: string, handler: unknown, once: boolean, forAttribute: boolean): void {
  const wrapper = createWrapper(target, type, handler);
  if (wrapper === null) return;
  records.set(wrapper, { handler, forAttribute });
  if (once) target.once(type, wrapper);
  else target.on(type, wrapper);
}

/**
 * Adds a DOM-style listener for `'open'`, `'message'`, `'error'` or `'close'` (other types are ignored). Adding a
 * handler already added this way is a no-op (DOM Standard §2.7.3); `on*` attribute handlers do not count.
 *
 * @param type - the event name
 * @param handler - a function (called with the WebSocket as `this`) or an object with `handleEvent`
 * @param options - `once` removes the listener after its first call
 */
export function addEventListener(
  this: EmitterLike,
  type: string,
  handler: EventListenerLike,
  options: AddEventListenerOptions = {}
): void {
  const once = options.once === true;
  for (const listener of this.listeners(type)) {
    const record = records.get(listener);
    if (record !== undefined && !record.forAttribute && record.handler === handler) return;
  }
  attach(this, type, handler, once, false);
}

/**
 * Removes a listener added with {@link addEventListener}. Handlers set through an `on*` attribute and plain
 * emitter listeners are left alone.
 *
 * @param type - the event name
 * @param handler - the function or object given to `addEventListener`
 */
export function removeEventListener(this: EmitterLike, type: string, handler: EventListenerLike): void {
  for (const listener of this.listeners(type)) {
    const record = records.get(listener);
    if (record !== undefined && !record.forAttribute && record.handler === handler) {
      this.removeListener(type, listener as (...args: unknown[]) => void);
      return;
    }
  }
}

/** Returns the handler set through the `on<type>` attribute, or null. */
function getAttributeHandler(target: EmitterLike, type: string): unknown {
  for (const listener of target.listeners(type)) {
    const record = records.get(listener);
    if (record !== undefined && record.forAttribute) return record.handler;
  }
  return null;
}

/** Replaces the `on<type>` handler; a non-function only removes the old one (WHATWG HTML §8.1.8.1). */
function setAttributeHandler(target: EmitterLike, type: string, handler: unknown): void {
  for (const listener of target.listeners(type)) {
    const record = records.get(listener);
    if (record !== undefined && record.forAttribute)
      target.removeListener(type, listener as (...args: unknown[]) => void);
  }
  if (typeof handler === 'function') attach(target, type, handler, false, true);
}

/**
 * Defines the enumerable `onclose`, `onerror`, `onopen` and `onmessage` accessors on a prototype (in that order,
 * which is ws's key order). Each getter returns the current handler or null; setting a function replaces the
 * previous handler, setting anything else removes it.
 *
 * @param proto - the prototype of a class whose instances are {@link EmitterLike}
 */
export function defineEventHandlerAttributes(proto: object): void {
  for (const type of ['close', 'error', 'open', 'message']) {
    Object.defineProperty(proto, `on${type}`, {
      enumerable: true,
      configurable: true,
      get(this: EmitterLike): unknown {
        return getAttributeHandler(this, type);
      },
      set(this: EmitterLike, handler: unknown) {
        setAttributeHandler(this, type, handler);
      }
    });
  }
}
