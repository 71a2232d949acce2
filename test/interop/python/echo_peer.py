"""Echo peer for test/interop/python-websockets.test.mjs, built on Python's `websockets` library.

Usage:
  echo_peer.py server CONFIG_JSON   serve one connection on 127.0.0.1 (port printed first), echo, exit
  echo_peer.py client CONFIG_JSON URL   connect to URL, echo, exit

CONFIG_JSON: {"compression": "off" | "default" | "custom", plus for "custom" the RFC 7692 parameters
server_no_context_takeover, client_no_context_takeover (booleans), server_max_window_bits,
client_max_window_bits (8-15, or true for the client's offer without a value)}.

Every message is echoed with its type. A text message "__close__ CODE REASON" makes this peer close with that
code and reason instead; "__send__ SIZE" makes it send SIZE zero bytes as one binary message. Events go to stdout as one JSON object per line: {"event": "listening", "port": N},
{"event": "open", "extensions": "..."}, {"event": "closed", "code": N, "reason": "..."}.
"""

import asyncio
import json
import sys

import websockets
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)

MAX_SIZE = 16 * 1024 * 1024
# Bound every run so a stuck peer cannot hang CI; the Node side kills us earlier anyway.
DEADLINE_SECONDS = 60


def report(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def compression_kwargs(config, side):
    mode = config.get("compression", "off")
    if mode == "off":
        return {"compression": None}
    if mode == "default":
        return {"compression": "deflate"}
    params = {
        "server_no_context_takeover": bool(config.get("server_no_context_takeover", False)),
        "client_no_context_takeover": bool(config.get("client_no_context_takeover", False)),
        "server_max_window_bits": config.get("server_max_window_bits"),
        "client_max_window_bits": config.get("client_max_window_bits"),
    }
    factory = ServerPerMessageDeflateFactory if side == "server" else ClientPerMessageDeflateFactory
    return {"compression": None, "extensions": [factory(**params)]}


def negotiated_extensions(ws):
    # websockets <= 13 (legacy API) exposes response_headers; 14+ exposes response.headers.
    headers = getattr(ws, "response_headers", None)
    if headers is None:
        response = getattr(ws, "response", None)
        headers = getattr(response, "headers", None)
    if headers is None:
        return ""
    return headers.get("Sec-WebSocket-Extensions", "") or ""


async def echo(ws):
    report("open", extensions=negotiated_extensions(ws))
    try:
        async for message in ws:
            if isinstance(message, str) and message.startswith("__close__ "):
                _, code, reason = message.split(" ", 2)
                await ws.close(int(code), reason)
                break
            if isinstance(message, str) and message.startswith("__send__ "):
                await ws.send(bytes(int(message.split(" ")[1])))
                continue
            await ws.send(message)
    except websockets.exceptions.ConnectionClosed:
        pass
    await ws.wait_closed()
    report("closed", code=ws.close_code, reason=ws.close_reason)


async def run_server(config):
    done = asyncio.get_running_loop().create_future()

    async def handler(ws, *_path):
        try:
            await echo(ws)
        finally:
            if not done.done():
                done.set_result(None)

    kwargs = compression_kwargs(config, "server")
    async with websockets.serve(handler, "127.0.0.1", 0, max_size=MAX_SIZE, **kwargs) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        report("listening", port=port)
        await done


async def run_client(config, url):
    kwargs = compression_kwargs(config, "client")
    async with websockets.connect(url, max_size=MAX_SIZE, **kwargs) as ws:
        await echo(ws)


def main():
    side, config = sys.argv[1], json.loads(sys.argv[2])
    job = run_server(config) if side == "server" else run_client(config, sys.argv[3])
    asyncio.run(asyncio.wait_for(job, DEADLINE_SECONDS))


if __name__ == "__main__":
    main()
