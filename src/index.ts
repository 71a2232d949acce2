/**
 * Package entry. CommonJS: `module.exports` is the `WebSocket` class carrying ws's statics, so
 * `require('sockwire')` works wherever `require('ws')` did. The ESM entry re-exports the same objects.
 */
import { WebSocket as WebSocketClass } from './api/websocket';
import { WebSocketServer as WebSocketServerClass } from './api/websocket-server';
import type { ServerOptions as ServerOptionsType, VerifyClientCallbackAsync as VerifyAsync, VerifyClientCallbackSync as VerifySync } from './api/websocket-server';
import { Receiver as ReceiverClass } from './api/receiver';
import { Sender as SenderClass } from './api/sender';
import { createWebSocketStream as createStream } from './api/stream';
import { ReconnectingWebSocket as ReconnectingWebSocketClass } from './client/reconnecting-websocket';
import { WebSocketStream as WebSocketStreamClass } from './client/websocket-stream';
import { WebSocketError as WebSocketErrorClass } from './client/websocket-error';
import type { ReconnectingSendStatus as ReconnectingSendStatusType } from './client/reconnecting-websocket';
import type { ReconnectingWebSocketOptions as ReconnectingOptionsType, Resolvable as ResolvableType } from './client/reconnect-options';
import type { ReconnectEvent as ReconnectEventType, ReconnectReason as ReconnectReasonType } from './client/reconnect-policy';
import type { OverflowPolicy as OverflowPolicyType } from './client/send-queue';
import type {
  WebSocketOpenInfo as WebSocketOpenInfoType,
  WebSocketStreamChunk as WebSocketStreamChunkType,
  WebSocketStreamMessage as WebSocketStreamMessageType,
  WebSocketStreamOptions as WebSocketStreamOptionsType
} from './client/websocket-stream';
import type { WebSocketCloseInfo as WebSocketCloseInfoType } from './client/websocket-error';
import type { WebSocketMessage as WebSocketMessageType } from './api/message-iterator';
import { PerMessageDeflate as PerMessageDeflateClass } from './extensions/permessage-deflate';
import { BufferUtil as BufferUtilObject, Constants as ConstantsObject, ErrorCodes as ErrorCodesObject, Extensions as ExtensionsObject } from './api/seed';
import { parseExtensionHeader, formatExtensionHeader } from './core/extension-header';
import { parseSubprotocolHeader } from './core/subprotocol-header';
import type { ClientOptions as ClientOptionsType, PerMessageDeflateOptions as DeflateOptionsType } from './api/options';
import type {
  CloseEvent as CloseEventClass,
  ErrorEvent as ErrorEventClass,
  Event as EventClass,
  MessageEvent as MessageEventClass,
  AddEventListenerOptions
} from './api/event-target';
import type { AddressInfo as NetAddressInfo } from 'node:net';
import type {
  HeartbeatOptions as HeartbeatOptionsType,
  SocketFeatureOptions as SocketFeatureOptionsType,
  ServerFeatureOptions as ServerFeatureOptionsType
} from './api/options';
import type { SendStatus as SendStatusType } from './features/socket-features';
import type { BroadcastOptions as BroadcastOptionsType, BroadcastResult as BroadcastResultType } from './features/broadcast';
import type { ShutdownOptions as ShutdownOptionsType, ShutdownResult as ShutdownResultType } from './features/shutdown';
import type { ProxyOption as ProxyOptionType, ProxySettings as ProxySettingsType } from './io/proxy-plan';
import type { ProxyError as ProxyErrorType } from './core/proxy-failure';
import type { ServerStats as ServerStatsType } from './features/counters';
import type * as Diagnostics from './features/diagnostics';
import type * as PubSubStats from './features/pubsub-stats';
import { ClusterPubSub as ClusterPubSubClass } from './pubsub/cluster-pubsub';
import type { ClusterPubSubOptions as ClusterPubSubOptionsType } from './pubsub/cluster-pubsub';
import type { ClusterPrimary as ClusterPrimaryType, ClusterPrimaryOptions as ClusterPrimaryOptionsType } from './pubsub/cluster-primary';
import type { PubSubAdapter as PubSubAdapterType, PubSubAdapterEvents as PubSubAdapterEventsType } from './pubsub/adapter';
import type { PubSubGap as PubSubGapType, PubSubCounters as PubSubCountersType } from './pubsub/pubsub-events';
import type { PubSubErrorCode as PubSubErrorCodeType } from './pubsub/pubsub-errors';
import type { Http2Windows as Http2WindowsType } from './io/http2-server';

/** Everything `require('sockwire')` carries besides the class itself. */
interface Statics {
  WebSocket: typeof WebSocketClass;
  WebSocketServer: typeof WebSocketServerClass;
  Server: typeof WebSocketServerClass;
  createWebSocketStream: typeof createStream;
  ReconnectingWebSocket: typeof ReconnectingWebSocketClass;
  WebSocketStream: typeof WebSocketStreamClass;
  WebSocketError: typeof WebSocketErrorClass;
  Receiver: typeof ReceiverClass;
  Sender: typeof SenderClass;
  PerMessageDeflate: typeof PerMessageDeflateClass;
  extension: { parse: typeof parseExtensionHeader; format: typeof formatExtensionHeader };
  subprotocol: { parse: typeof parseSubprotocolHeader };
  BufferUtil: typeof BufferUtilObject;
  Constants: typeof ConstantsObject;
  ErrorCodes: typeof ErrorCodesObject;
  Extensions: typeof ExtensionsObject;
  ClusterPubSub: typeof ClusterPubSubClass;
}

const WebSocket = WebSocketClass as typeof WebSocketClass & Statics;
type WebSocket = WebSocketClass;

const statics: Statics = {
  WebSocket: WebSocketClass,
  WebSocketServer: WebSocketServerClass,
  Server: WebSocketServerClass,
  createWebSocketStream: createStream,
  ReconnectingWebSocket: ReconnectingWebSocketClass,
  WebSocketStream: WebSocketStreamClass,
  WebSocketError: WebSocketErrorClass,
  Receiver: ReceiverClass,
  Sender: SenderClass,
  PerMessageDeflate: PerMessageDeflateClass,
  extension: { parse: parseExtensionHeader, format: formatExtensionHeader },
  subprotocol: { parse: parseSubprotocolHeader },
  BufferUtil: BufferUtilObject,
  Constants: ConstantsObject,
  ErrorCodes: ErrorCodesObject,
  Extensions: ExtensionsObject,
  ClusterPubSub: ClusterPubSubClass
};
Object.assign(WebSocket, statics);

// The names users of @types/ws write as `WebSocket.X`: a type-only namespace merged with the value is the only way
// to offer them through `export =`.
// eslint-disable-next-line @typescript-eslint/no-namespace
declare namespace WebSocket {
  type WebSocket = WebSocketClass;
  type RawData = Buffer | ArrayBuffer | Buffer[];
  type Data = string | Buffer | ArrayBuffer | Buffer[];
  type ServerOptions<WS extends typeof WebSocketClass = typeof WebSocketClass> = ServerOptionsType<WS>;
  type ClientOptions = ClientOptionsType;
  type PerMessageDeflateOptions = DeflateOptionsType;
  type VerifyClientCallbackSync = VerifySync;
  type VerifyClientCallbackAsync = VerifyAsync;
  type CloseEvent = CloseEventClass;
  type MessageEvent = MessageEventClass;
  type ErrorEvent = ErrorEventClass;
  type Event = EventClass;
  type EventListenerOptions = AddEventListenerOptions;
  type AddressInfo = NetAddressInfo;
  type WebSocketServer<WS extends typeof WebSocketClass = typeof WebSocketClass> = WebSocketServerClass<WS>;
  type Server<WS extends typeof WebSocketClass = typeof WebSocketClass> = WebSocketServerClass<WS>;
  type Receiver = ReceiverClass;
  type Sender = SenderClass;
  type PerMessageDeflate = PerMessageDeflateClass;
  // sockwire features (docs/features.md). Events: ws 'drain'(); wss 'connectionError'(error, ws | null, req?),
  // 'connection'(ws, req, data) when `authenticate` is set.
  type HeartbeatOptions = HeartbeatOptionsType;
  type SocketFeatureOptions = SocketFeatureOptionsType;
  type ServerFeatureOptions = ServerFeatureOptionsType;
  type SendStatus = SendStatusType;
  type BroadcastOptions<T extends WebSocketClass = WebSocketClass> = BroadcastOptionsType<T>;
  type BroadcastResult = BroadcastResultType;
  type ShutdownOptions = ShutdownOptionsType;
  type ShutdownResult = ShutdownResultType;
  // Client proxies (README "Proxies").
  type ProxyOption = ProxyOptionType;
  type ProxySettings = ProxySettingsType;
  type ProxyError = ProxyErrorType;
  // Client conveniences (README: "Client conveniences").
  type ReconnectingWebSocket = ReconnectingWebSocketClass;
  type ReconnectingWebSocketOptions = ReconnectingOptionsType;
  type ReconnectingSendStatus = ReconnectingSendStatusType;
  type ReconnectReason = ReconnectReasonType;
  type ReconnectEvent = ReconnectEventType;
  type OverflowPolicy = OverflowPolicyType;
  type Resolvable<T> = ResolvableType<T>;
  type WebSocketStream = WebSocketStreamClass;
  type WebSocketStreamOptions = WebSocketStreamOptionsType;
  type WebSocketStreamMessage = WebSocketStreamMessageType;
  type WebSocketStreamChunk = WebSocketStreamChunkType;
  type WebSocketOpenInfo = WebSocketOpenInfoType;
  type WebSocketCloseInfo = WebSocketCloseInfoType;
  type WebSocketError = WebSocketErrorClass;
  type WebSocketMessage = WebSocketMessageType;
  // Observability (README "Observability"): `wss.stats()` and the diagnostics_channel payloads.
  type ServerStats = ServerStatsType;
  type UpgradeMessage = Diagnostics.UpgradeMessage<WebSocketClass, WebSocketServerClass>;
  type OpenMessage = Diagnostics.OpenMessage<WebSocketClass>;
  type CloseMessage = Diagnostics.CloseMessage<WebSocketClass>;
  type ErrorMessage = Diagnostics.ErrorMessage<WebSocketClass>;
  type ControlFrameMessage = Diagnostics.ControlFrameMessage<WebSocketClass>;
  type UndiciOpenMessage = Diagnostics.UndiciOpenMessage<WebSocketClass>;
  type UndiciCloseMessage = Diagnostics.UndiciCloseMessage<WebSocketClass>;
  type UndiciControlFrameMessage = Diagnostics.UndiciControlFrameMessage<WebSocketClass>;
  type PubSubGapMessage = PubSubStats.PubSubGapMessage<WebSocketServerClass>;
  type PubSubStateMessage = PubSubStats.PubSubStateMessage<WebSocketServerClass>;
  // Cross-process topics (README "Scaling out"). Server events: 'pubsubError'(err), 'pubsubGap'(gap), 'pubsubReady'().
  type ClusterPubSub = ClusterPubSubClass;
  type ClusterPubSubOptions = ClusterPubSubOptionsType;
  type ClusterPrimary = ClusterPrimaryType;
  type ClusterPrimaryOptions = ClusterPrimaryOptionsType;
  type PubSubAdapter = PubSubAdapterType;
  type PubSubAdapterEvents = PubSubAdapterEventsType;
  type PubSubGap = PubSubGapType;
  type PubSubCounters = PubSubCountersType;
  type PubSubErrorCode = PubSubErrorCodeType;
  // sockwire: WebSockets over HTTP/2 (RFC 8441), the `http2Windows` option.
  type Http2Windows = Http2WindowsType;
}

export = WebSocket;
