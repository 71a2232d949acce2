/**
 * Who is online across the `sockwire serve --redis` processes. Each process announces its own members on a
 * presence channel of the broker, when they change and every second; a process that has not been heard from for
 * {@link PRESENCE_EXPIRY_MS} is taken for dead and its members leave the list. Announcements are small JSON
 * objects sent through the adapter's plain interface (not chat messages, which go through topics).
 */
import { randomUUID } from 'node:crypto';
import type { PubSubAdapter } from '../pubsub/adapter';

/** The broker topic of presence announcements. */
const PRESENCE_TOPIC = 'chat-presence';
/** How often each process repeats its announcement. */
const ANNOUNCE_EVERY_MS = 1000;
/** Silence after which a process counts as gone (three missed announcements). */
export const PRESENCE_EXPIRY_MS = 3500;

/** One member as presence knows it. */
export interface PresentUser {
  nick: string;
  /** Ms since the epoch when the member joined: the list is in joining order across processes. */
  joinedAt: number;
}

interface Announcement {
  node: string;
  users: PresentUser[];
}

/** Presence across processes; `onChange` runs whenever {@link ChatPresence.users} changed. */
export class ChatPresence {
  private readonly node = randomUUID();
  private local: PresentUser[] = [];
  private readonly remote = new Map<string, { users: PresentUser[]; heardAt: number }>();
  private readonly timer: NodeJS.Timeout;
  private last = '';

  constructor(
    private readonly adapter: PubSubAdapter,
    private readonly onChange: () => void
  ) {
    adapter.on('message', (topic: string, data: Buffer) => {
      if (topic === PRESENCE_TOPIC) this.receive(data);
    });
    adapter.on('ready', () => this.announce());
    adapter.on('error', () => {
      // The chat's own adapter reports broker failures; presence simply goes on announcing.
    });
    void adapter.subscribe(PRESENCE_TOPIC);
    this.timer = setInterval(() => {
      this.expire();
      this.announce();
    }, ANNOUNCE_EVERY_MS);
    this.timer.unref();
  }

  /** Everyone online on every process, in joining order. */
  users(): string[] {
    const all = [...this.local];
    for (const { users } of this.remote.values()) all.push(...users);
    return all.sort((a, b) => a.joinedAt - b.joinedAt || (a.nick < b.nick ? -1 : 1)).map((user) => user.nick);
  }

  /** This process's members changed. */
  update(local: PresentUser[]): void {
    this.local = local;
    this.announce();
    this.changed();
  }

  private announce(): void {
    const announcement: Announcement = { node: this.node, users: this.local };
    this.adapter.publish(PRESENCE_TOPIC, Buffer.from(JSON.stringify(announcement)));
  }

  private receive(data: Buffer): void {
    let announcement: Announcement;
    try {
      announcement = JSON.parse(data.toString()) as Announcement;
    } catch {
      return;
    }
    if (typeof announcement.node !== 'string' || !Array.isArray(announcement.users) || announcement.node === this.node) return;
    const users = announcement.users.filter((user) => typeof user?.nick === 'string' && typeof user.joinedAt === 'number');
    const isNew = !this.remote.has(announcement.node);
    this.remote.set(announcement.node, { users, heardAt: Date.now() });
    if (isNew) this.announce(); // a process that just started learns about us at once
    this.changed();
  }

  private expire(): void {
    const now = Date.now();
    for (const [node, { heardAt }] of this.remote) if (now - heardAt > PRESENCE_EXPIRY_MS) this.remote.delete(node);
    this.changed();
  }

  private changed(): void {
    const key = this.users().join('\n');
    if (key === this.last) return;
    this.last = key;
    this.onChange();
  }

  /** Stop announcing and close the adapter. */
  stop(): Promise<void> {
    clearInterval(this.timer);
    return this.adapter.close();
  }
}
