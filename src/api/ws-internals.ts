/**
 * ws's underscore members that widely used packages read or write, kept working on sockwire's `WebSocket`
 * (README: "ws internals that work"). Installed once as prototype getters, so they cost nothing per socket:
 * - `_sender`: the frame writer; engine.io (socket.io) writes broadcast frames pre-encoded with `Sender.frame()`
 *   through `_sender.sendFrame(list, cb)`, and some code reads `_sender._socket`.
 * - `_receiver._maxPayload`: @hapi/nes and socketcluster-based servers change the limit of a live socket.
 * - `_closeCode`, `_closeMessage`, `_closeFrameReceived`, `_closeFrameSent`: read by code and tests that look at
 *   how a connection ended.
 * `_socket`, `_req`, `_isServer`, `_protocol`, `_extensions`, `_paused` and `_url` are plain fields of the class.
 */
import { EMPTY_BUFFER } from '../core/constants';
import type { MessageReader } from '../core/message-reader';
import type { Connection } from '../io/connection';

/** What the getters need from a socket. */
interface HasConnection {
  _connection: Connection | null;
}

/** The part of ws's `Receiver` that code outside ws touches: its live payload limit. */
export class ReceiverInternals {
  private readonly reader: MessageReader;

  constructor(reader: MessageReader) {
    this.reader = reader;
  }

  /** Largest message accepted from now on (0 = no limit), as ws's `Receiver#_maxPayload`. */
  get _maxPayload(): number {
    return this.reader.maxPayload;
  }
  set _maxPayload(value: number) {
    // ws stores `value | 0`, and treats anything not positive as "no limit".
    const limit = value | 0;
    this.reader.maxPayload = limit > 0 ? limit : 0;
  }
}

/** One view per reader, made on first use. */
const receiverViews = new WeakMap<MessageReader, ReceiverInternals>();

const getters: Record<string, (this: HasConnection) => unknown> = {
  _sender() {
    return this._connection === null ? null : this._connection.sender;
  },
  _receiver() {
    const connection = this._connection;
    if (connection === null) return null;
    let view = receiverViews.get(connection);
    if (view === undefined) receiverViews.set(connection, (view = new ReceiverInternals(connection)));
    return view;
  },
  _closeCode() {
    return this._connection === null ? 1006 : this._connection.closeCode;
  },
  _closeMessage() {
    return this._connection === null ? EMPTY_BUFFER : this._connection.closeReason;
  },
  _closeFrameReceived() {
    return this._connection !== null && this._connection.closeFrameReceived;
  },
  _closeFrameSent() {
    return this._connection !== null && this._connection.closeFrameSent;
  }
};

/** Define the getters on `WebSocket.prototype` (non-enumerable: `Object.keys(ws)` stays as it was). */
export function installWsInternals(proto: object): void {
  for (const [name, get] of Object.entries(getters)) {
    Object.defineProperty(proto, name, { get, configurable: true, enumerable: false });
  }
}
