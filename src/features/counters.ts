/**
 * Live counters of one server (sockwire, `wss.stats()`): plain integer fields that the paths which already run bump
 * (the hub on accept and close, the connection per chunk and message, the sender per frame, the refusal writer,
 * the back-pressure check, the pub/sub adapters). Nothing is wrapped and nothing is timed; a snapshot turns them
 * into a plain object, adding the gauges read at that moment.
 */
import type { TrafficCounters } from '../io/traffic';
import { HEARTBEAT_TIMEOUT_CODE } from './heartbeat';

/** What `wss.stats()` returns: counters since the server was created, and gauges as of the call. */
export interface ServerStats {
  /** When counting started (the server's creation), ms since the epoch. */
  startedAt: number;
  connections: {
    /** Gauge: open connections now. */
    open: number;
    /** Upgrades accepted since start. */
    accepted: number;
  };
  handshakes: {
    /** Gauge: upgrades waiting for `authenticate` now. */
    pending: number;
    /** Upgrades refused, by HTTP status (`{ '401': 2, '503': 1 }`). */
    refused: Record<string, number>;
    /** Upgrades abandoned: the client went away before it was answered. */
    aborted: number;
  };
  /** Complete messages (a fragmented one counts once). */
  messages: { in: number; out: number };
  /** Wire: frame bytes on the transport after the upgrade, headers and compressed payloads. Payload: message bytes. */
  bytes: { wireIn: number; wireOut: number; payloadIn: number; payloadOut: number };
  /** Closed connections, by the code their `'close'` reported (`{ '1000': 5, '1006': 1 }`). */
  closes: Record<string, number>;
  /** Errors the sockets reported, by `error.code` (`WS_ERR_*`; zlib's `Z_*` for a corrupt compressed message). */
  errors: Record<string, number>;
  /** Sends refused by `maxBackpressure` (`send()`, `broadcast()` and `publish()` recipients). */
  backpressure: { dropped: number };
  /** Peers terminated by the heartbeat (also counted in `errors` as `WS_ERR_HEARTBEAT_TIMEOUT`). */
  heartbeat: { timeouts: number };
  /**
   * Filled by a pub/sub adapter: envelopes sent to the broker, envelopes from the broker delivered here, sequence
   * gaps seen, and the broker connection's last reported state (null without an adapter).
   */
  pubsub: { published: number; delivered: number; gaps: number; state: string | null };
  /** Gauge: topics with at least one local subscriber. */
  topics: number;
}

/** The gauges a snapshot reads from the hub. */
export interface StatsGauges {
  open: number;
  pending: number;
  topics: number;
}

/** One server's counters. */
export class ServerCounters implements TrafficCounters {
  readonly startedAt = Date.now();
  messagesIn = 0;
  messagesOut = 0;
  payloadBytesIn = 0;
  payloadBytesOut = 0;
  wireBytesIn = 0;
  wireBytesOut = 0;
  accepted = 0;
  aborted = 0;
  backpressureDrops = 0;
  pubsubPublished = 0;
  pubsubDelivered = 0;
  pubsubGaps = 0;
  pubsubState: string | null = null;
  private readonly refused = new Map<number, number>();
  private readonly closes = new Map<number, number>();
  private readonly errors = new Map<string, number>();

  /** An upgrade was refused with `status`. */
  countRefused(status: number): void {
    this.refused.set(status, (this.refused.get(status) ?? 0) + 1);
  }

  /** A connection closed with `code`. */
  countClose(code: number): void {
    this.closes.set(code, (this.closes.get(code) ?? 0) + 1);
  }

  /** A socket reported `error`. */
  countError(error: Error): void {
    const code = (error as { code?: unknown }).code;
    const key = typeof code === 'string' ? code : 'unknown';
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  /** A plain-object copy of the counters plus `gauges`. */
  snapshot(gauges: StatsGauges): ServerStats {
    return {
      startedAt: this.startedAt,
      connections: { open: gauges.open, accepted: this.accepted },
      handshakes: { pending: gauges.pending, refused: toRecord(this.refused), aborted: this.aborted },
      messages: { in: this.messagesIn, out: this.messagesOut },
      bytes: { wireIn: this.wireBytesIn, wireOut: this.wireBytesOut, payloadIn: this.payloadBytesIn, payloadOut: this.payloadBytesOut },
      closes: toRecord(this.closes),
      errors: toRecord(this.errors),
      backpressure: { dropped: this.backpressureDrops },
      heartbeat: { timeouts: this.errors.get(HEARTBEAT_TIMEOUT_CODE) ?? 0 },
      pubsub: { published: this.pubsubPublished, delivered: this.pubsubDelivered, gaps: this.pubsubGaps, state: this.pubsubState },
      topics: gauges.topics
    };
  }
}

/** Map → plain object, keys in ascending order (numeric keys sort by value in any object, so sort strings too). */
function toRecord(map: Map<number | string, number>): Record<string, number> {
  const record: Record<string, number> = {};
  for (const key of [...map.keys()].sort()) record[String(key)] = map.get(key) as number;
  return record;
}
