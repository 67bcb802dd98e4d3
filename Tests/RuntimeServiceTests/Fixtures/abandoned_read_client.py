"""A client that leaves while its read is being encoded: it starts a run whose
value signals (by connecting to a socket of ours) once its encoding has begun,
reads it on a raw connection, drops that connection without a close frame,
then reads a small value of the same session on its first connection.

Usage: abandoned_read_client.py ws://127.0.0.1:PORT/
Prints {"small": <reply>} and exits 0, or exits non-zero on any surprise.
"""
import asyncio
import base64
import json
import os
import socket
import struct
import sys

import websockets

PROGRAM = """
import socket
from runtimeBridge import save_placeholder
class Signal:
    def __repr__(self):
        socket.create_connection(('127.0.0.1', %d), timeout=30).close()
        return 'signal'
save_placeholder('big', {'signal': Signal(), 'numbers': list(range(20_000_000))})
save_placeholder('small', [1, 2])
"""


def raw_request(port, message):
    """A WebSocket on a plain socket, so that it can be dropped at once."""
    sock = socket.create_connection(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % key).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    body = json.dumps(message).encode()
    mask = os.urandom(4)
    header = bytes([0x81, 0x80 | 126]) + struct.pack(">H", len(body)) + mask
    sock.sendall(header + bytes(b ^ mask[i % 4] for i, b in enumerate(body)))
    return sock


async def main(url):
    port = int(url.rsplit(":", 1)[1].strip("/"))
    signal = socket.socket()
    signal.bind(("127.0.0.1", 0))
    signal.listen()
    async with websockets.connect(url, max_size=None) as owner:
        await owner.recv()  # the greeting
        await owner.send(json.dumps({"action": "run", "id": "run", "python": {
            "files": [{"filename": "main.py", "content": PROGRAM % signal.getsockname()[1]}], "mainfile": "main.py"}}))
        session = None
        while True:
            event = json.loads(await asyncio.wait_for(owner.recv(), 60))
            session = session or event.get("sessionId")
            if event.get("type", "").startswith("[state]:"):
                assert event["type"] == "[state]:EXECUTION_FINISHED", event
                break
        reader = raw_request(port, {"action": "get_placeholder", "placeholder": {"sessionId": session, "name": "big"}})
        signal.settimeout(60)
        signal.accept()[0].close()  # the read has begun in the worker
        # Gone without a word: an RST, as a crashed client or a dropped network.
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        reader.close()
        await owner.send(json.dumps({"action": "get_placeholder", "id": "small",
                                     "placeholder": {"sessionId": session, "name": "small"}}))
        while True:
            reply = json.loads(await asyncio.wait_for(owner.recv(), 60))
            if reply.get("id") == "small":
                print(json.dumps({"small": reply}))
                return


asyncio.run(main(sys.argv[1]))
