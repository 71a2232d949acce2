"""An independent RFC 8441 client for the sockwire interop tests: Python's `h2` (HTTP/2) and `wsproto` (WebSocket
frames, no handshake) from Debian, talking to a sockwire server over TLS (ALPN h2, the test CA trusted) or h2c.

It waits for the server's SETTINGS, reports ENABLE_CONNECT_PROTOCOL, sends the extended CONNECT, then echoes a list
of messages, a ping and a close through wsproto, honouring HTTP/2 flow control both ways. Each step is printed as
one JSON line on stdout for the Node test to check.

Usage: h2_ws_client.py HOST PORT tls|h2c CAFILE PATH SIZE...
"""
import hashlib
import json
import socket
import ssl
import sys

import h2.config
import h2.connection
import h2.events
import h2.settings
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, Pong, TextMessage


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def main():
    host, port, mode, cafile, path = sys.argv[1:6]
    sizes = [int(size) for size in sys.argv[6:]]
    port = int(port)
    raw = socket.create_connection((host, port), timeout=20)
    if mode == "tls":
        context = ssl.create_default_context(cafile=cafile)
        context.set_alpn_protocols(["h2"])
        sock = context.wrap_socket(raw, server_hostname="localhost")
        emit("alpn", protocol=sock.selected_alpn_protocol())
    else:
        sock = raw
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())

    pending = []

    def pump():
        data = sock.recv(65536)
        if not data:
            raise EOFError("server closed the connection")
        events = conn.receive_data(data)
        out = conn.data_to_send()
        if out:
            sock.sendall(out)
        pending.extend(events)

    def next_event(kind):
        while True:
            for index, event in enumerate(pending):
                if isinstance(event, kind):
                    return pending.pop(index)
            pump()

    # RFC 8441 §3: nothing is sent on a stream before the server's SETTINGS say extended CONNECT is allowed.
    next_event(h2.events.RemoteSettingsChanged)
    enabled = conn.remote_settings.get(h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL, 0)
    emit("settings", enableConnectProtocol=enabled)
    stream_id = conn.get_next_available_stream_id()
    scheme = "https" if mode == "tls" else "http"
    conn.send_headers(stream_id, [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", scheme),
        (":path", path),
        (":authority", f"localhost:{port}"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-protocol", "chat, superchat"),
        ("origin", "https://python.example"),
    ])
    sock.sendall(conn.data_to_send())
    response = next_event(h2.events.ResponseReceived)
    headers = dict(response.headers)
    emit("response", status=headers.get(":status"), protocol=headers.get("sec-websocket-protocol"),
         accept=headers.get("sec-websocket-accept"))

    ws = Connection(ConnectionType.CLIENT)
    inbox = []

    def send_ws(event):
        data = ws.send(event)
        while data:
            window = min(conn.local_flow_control_window(stream_id), conn.max_outbound_frame_size)
            if window <= 0:
                pump()
                continue
            conn.send_data(stream_id, data[:window])
            data = data[window:]
            sock.sendall(conn.data_to_send())

    closed = []

    def next_ws(kind):
        # wsproto may hand a message over in pieces (message_finished=False): join them.
        parts = []
        while True:
            while inbox:
                event = inbox.pop(0)
                if not isinstance(event, kind):
                    continue
                if not isinstance(event, (BytesMessage, TextMessage)):
                    return event
                parts.append(event.data)
                if event.message_finished:
                    return kind(data=(b"" if kind is BytesMessage else "").join(parts))
            pump()
            for event in list(pending):
                if isinstance(event, h2.events.DataReceived) and event.stream_id == stream_id:
                    pending.remove(event)
                    conn.acknowledge_received_data(event.flow_controlled_length, stream_id)
                    sock.sendall(conn.data_to_send())
                    if closed:
                        continue
                    ws.receive_data(event.data)
                    for ws_event in ws.events():
                        inbox.append(ws_event)
                        if isinstance(ws_event, CloseConnection):
                            closed.append(ws_event)

    for size in sizes:
        payload = bytes((i * 7 + size) % 256 for i in range(size))
        send_ws(BytesMessage(data=payload))
        reply = next_ws(BytesMessage)
        emit("binary", size=size, same=hashlib.sha256(reply.data).hexdigest() == hashlib.sha256(payload).hexdigest())
        text = ("héllo " * (size // 7 + 1))[: max(size // 2, 0)]
        send_ws(TextMessage(data=text))
        echoed = next_ws(TextMessage)
        emit("text", size=len(text), same=echoed.data == text)

    send_ws(Ping(payload=b"py-ping"))
    pong = next_ws(Pong)
    emit("pong", payload=pong.payload.decode())

    send_ws(CloseConnection(code=1000, reason="python done"))
    close = next_ws(CloseConnection)
    emit("close", code=close.code, reason=close.reason)
    conn.end_stream(stream_id)
    conn.close_connection()
    sock.sendall(conn.data_to_send())
    sock.close()
    emit("done")


if __name__ == "__main__":
    main()
