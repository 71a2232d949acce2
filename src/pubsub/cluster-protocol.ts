/**
 * The IPC messages between `ClusterPubSub` in the workers and `ClusterPubSub.setupPrimary()` in the primary.
 * They travel with Node's "advanced" serialization (structured clone), so envelopes cross as binary Buffers.
 */

/** Property that marks sockwire's messages among whatever else the app sends over IPC. */
export const IPC_TAG = 'sockwirePubSub';

/** Worker → primary: a worker joins (answered with `welcome`). */
export interface HelloMessage {
  [IPC_TAG]: 'hello';
}
/** Primary → worker: the primary relays for it. `probe` is a Buffer unless the worker was forked without advanced serialization. */
export interface WelcomeMessage {
  [IPC_TAG]: 'welcome';
  probe: unknown;
}
/** Worker → primary: (un)subscribe the worker; primary → worker: `subscribed` confirms a `subscribe`. */
export interface TopicMessage {
  [IPC_TAG]: 'subscribe' | 'unsubscribe' | 'subscribed';
  topic: string;
}
/** Either way: one envelope on one topic. */
export interface PublishMessage {
  [IPC_TAG]: 'publish';
  topic: string;
  envelope: Buffer;
}

export type IpcMessage = HelloMessage | WelcomeMessage | TopicMessage | PublishMessage;

/** Whether an IPC message is one of ours. */
export function isIpcMessage(message: unknown): message is IpcMessage {
  return typeof message === 'object' && message !== null && typeof (message as Record<string, unknown>)[IPC_TAG] === 'string';
}
