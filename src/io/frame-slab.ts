/**
 * Where the sender packs small frames: one slab of memory shared by every connection of the process, handed out
 * front to back and never reused (written frames may still be queued in a socket), as Node's own Buffer pool
 * does. A reply batch takes the rest of the slab while it fills and gives back what it did not use, so the replies
 * to one socket read are written straight into place: no Buffer per frame, no list, no concatenation.
 */

/** Node's `Buffer.poolSize`: a frame queued in a slow socket keeps at most this much memory alive. */
const SLAB_SIZE = 8 * 1024;

/** The slab and how much of it is handed out. */
class FrameSlab {
  buffer = Buffer.allocUnsafeSlow(SLAB_SIZE);
  used = 0;
  /** A batch holds the rest of the slab (another batch opened meanwhile gets a fresh slab). */
  reserved = false;

  /** Take the rest of the slab, or of a fresh one when fewer than `bytes` are left; returns the start offset. */
  reserve(bytes: number): number {
    if (this.reserved || this.buffer.length - this.used < bytes) {
      this.buffer = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, bytes));
      this.used = 0;
    }
    this.reserved = true;
    return this.used;
  }

  /** The batch on `buffer` ended at `end`: the bytes after it go back to the slab if it is still the current one. */
  release(buffer: Buffer, end: number): void {
    if (buffer !== this.buffer || !this.reserved) return;
    this.reserved = false;
    // 8-byte steps keep every frame's start aligned (the masking loop then runs on whole words sooner).
    this.used = Math.min((end + 7) & ~7, buffer.length);
  }
}

/** The process's slab. */
export const frameSlab = new FrameSlab();
