/**
 * Coalesces the frames that many deliveries in one turn write to the same socket: remote pub/sub messages arrive
 * in bursts (one broker read carries many), and each subscriber socket then gets one `writev` per burst instead of
 * one `write` per message. The socket is corked for the rest of the turn, so the shared frame buffers are queued
 * as they are (no copy) and counted by `bufferedAmount` at once; the uncork runs in a microtask, so no other I/O
 * event can run in between, and Node's own `end()` uncorks first, so nothing is written out of order.
 */

/** What the coalescer needs from a socket. */
export interface CorkableSocket {
  readonly writableCorked: number;
  cork(): void;
  uncork(): void;
}

/** Keeps sockets corked until the current turn's synchronous work is done. */
export class WriteCoalescer {
  private held: CorkableSocket[] = [];
  private scheduled = false;
  private readonly flush = (): void => {
    const held = this.held;
    this.held = [];
    this.scheduled = false;
    for (const socket of held) socket.uncork();
  };

  /** Cork `socket` until the end of this turn (a no-op while it is corked already, by this turn or its owner). */
  hold(socket: CorkableSocket): void {
    if (socket.writableCorked !== 0) return;
    socket.cork();
    this.held.push(socket);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }
}
