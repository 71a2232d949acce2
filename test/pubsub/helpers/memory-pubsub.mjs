// A third PubSubAdapter, written against the documented interface only: an in-memory bus for the adapters of one
// process. It runs the same contract tests as RedisPubSub and ClusterPubSub, and its `faults` hook lets the bridge
// tests lose, duplicate or reorder envelopes on purpose.
import { EventEmitter } from 'node:events';

/** The shared "broker". `faults(topic, envelope)` returns the envelopes to deliver (default: the one, unchanged). */
export class MemoryBus {
  topics = new Map();
  faults = null;
  /** Every subscribe/unsubscribe call that reached the bus, as `['subscribe', topic]` pairs. */
  calls = [];
}

export class MemoryPubSub extends EventEmitter {
  #bus;
  #topics = new Set();
  #closing = null;

  constructor(bus) {
    super();
    this.#bus = bus;
    queueMicrotask(() => {
      if (this.#closing === null) this.emit('ready');
    });
  }

  subscribe(topic) {
    if (this.#closing !== null || this.#topics.has(topic)) return Promise.resolve();
    this.#bus.calls.push(['subscribe', topic]);
    this.#topics.add(topic);
    let members = this.#bus.topics.get(topic);
    if (members === undefined) this.#bus.topics.set(topic, (members = new Set()));
    members.add(this);
    return Promise.resolve();
  }

  unsubscribe(topic) {
    if (this.#closing !== null || !this.#topics.delete(topic)) return;
    this.#bus.calls.push(['unsubscribe', topic]);
    const members = this.#bus.topics.get(topic);
    members.delete(this);
    if (members.size === 0) this.#bus.topics.delete(topic);
  }

  publish(topic, envelope) {
    if (this.#closing !== null) return;
    const members = this.#bus.topics.get(topic);
    if (members === undefined) return;
    const outgoing = this.#bus.faults === null ? [envelope] : this.#bus.faults(topic, envelope);
    for (const member of [...members]) {
      // A copy per receiver, delivered later: what a network would do.
      for (const copy of outgoing) queueMicrotask(() => member.#deliver(topic, Buffer.from(copy)));
    }
  }

  #deliver(topic, envelope) {
    if (this.#closing === null && this.#topics.has(topic)) this.emit('message', topic, envelope);
  }

  close() {
    if (this.#closing !== null) return this.#closing;
    for (const topic of [...this.#topics]) this.unsubscribe(topic);
    this.#closing = Promise.resolve();
    this.emit('close');
    return this.#closing;
  }
}
