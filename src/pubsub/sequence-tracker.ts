/**
 * Receive-side ordering state: for each subscribed topic, the last sequence number seen from each origin server.
 * A number one past the last is in order; a bigger one means messages were lost (a gap of that many); a smaller or
 * equal one is a duplicate. A server that joins a topic counts from the first message it sees from each origin.
 */

/** Origins remembered per topic; past it the longest-known is forgotten (servers restart with fresh ids). */
const MAX_ORIGINS_PER_TOPIC = 1024;

/** What {@link SequenceTracker.accept} found. */
export const DUPLICATE = -1;

/** Per-topic, per-origin last sequence numbers. */
export class SequenceTracker {
  private readonly topics = new Map<string, Map<number, number>>();

  /** 0: in order; n > 0: in order after n missing messages; {@link DUPLICATE}: seen already (drop it). */
  accept(topic: string, origin: number, sequence: number): number {
    let origins = this.topics.get(topic);
    if (origins === undefined) {
      origins = new Map();
      this.topics.set(topic, origins);
    }
    const last = origins.get(origin);
    if (last === undefined) {
      if (origins.size >= MAX_ORIGINS_PER_TOPIC) origins.delete(origins.keys().next().value as number);
      origins.set(origin, sequence);
      return 0;
    }
    if (sequence <= last) return DUPLICATE;
    origins.set(origin, sequence);
    return sequence - last - 1;
  }

  /** The server left the topic: what it sees next is a new start. */
  forget(topic: string): void {
    this.topics.delete(topic);
  }

  /** Forget everything (close). */
  clear(): void {
    this.topics.clear();
  }
}
