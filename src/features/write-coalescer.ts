/**
 * Coalesces the frames that many deliveries in one turn write to the same socket: remote pub/sub messages arrive
 * in bursts (one broker read carries many), and each subscriber socket then gets one write per burst instead of
 * one per message. The batch is flushed in a microtask, so no other I/O event (a peer's FIN, a close) can run
 * between a frame joining the batch and the batch being written, and order on each socket is unchanged.
 */

/** What the coalescer needs from a socket's sender. */
export interface BatchingSender {
  readonly batchOpen: boolean;
  beginBatch(): void;
  endBatch(): void;
}

/** Holds senders' batches open until the current turn's synchronous work is done. */
export class WriteCoalescer {
  private held: BatchingSender[] = [];
  private scheduled = false;
  private readonly flush = (): void => {
    const held = this.held;
    this.held = [];
    this.scheduled = false;
    for (const sender of held) sender.endBatch();
  };

  /** Keep `sender`'s small frames in its batch until the end of this turn (a no-op if a batch is already open). */
  hold(sender: BatchingSender): void {
    if (sender.batchOpen) return;
    sender.beginBatch();
    this.held.push(sender);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }
}
