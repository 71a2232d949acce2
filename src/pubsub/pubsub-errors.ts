/**
 * Errors of cross-process pub/sub, as `'pubsubError'` reports them: each has a `WS_ERR_PUBSUB_*` code and, where a
 * library raised it, the original error as `cause`.
 */

/** Every code a `'pubsubError'` carries. */
export type PubSubErrorCode =
  /** The broker is unreachable, refused us (e.g. a wrong password), or dropped the connection. */
  | 'WS_ERR_PUBSUB_BROKER'
  /** Something that is not a sockwire envelope (or of a newer version) arrived on a topic channel. */
  | 'WS_ERR_PUBSUB_ENVELOPE'
  /** The adapter is not set up: `ClusterPubSub` without `ClusterPubSub.setupPrimary()` in the primary. */
  | 'WS_ERR_PUBSUB_SETUP';

/** An error with a pub/sub code. */
export type PubSubError = Error & { code: PubSubErrorCode; cause?: unknown };

/** Build a pub/sub error; `cause` is kept as the standard `cause` property. */
export function pubsubError(code: PubSubErrorCode, message: string, cause?: unknown): PubSubError {
  const error = new Error(message, cause === undefined ? undefined : { cause }) as PubSubError;
  error.code = code;
  return error;
}
