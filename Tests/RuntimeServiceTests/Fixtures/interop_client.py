"""An independent client (Python `websockets`) speaking the wire protocol.

Usage: interop_client.py ws://127.0.0.1:PORT/
Prints one JSON object summarising what it saw; exits non-zero on any surprise.
"""
import asyncio
import json
import sys

import websockets


async def main(url):
    seen = {}
    async with websockets.connect(url) as ws:
        async def request(message):
            await ws.send(json.dumps(message))
            while True:
                reply = json.loads(await ws.recv())
                if reply.get("id") == message.get("id"):
                    return reply

        started = await request({"action": "run", "id": "r1", "python": {
            "number": 2,
            "files": [
                {"filename": "main.py", "content": "import util, runtimeBridge\nruntimeBridge.save_placeholder('total', util.total([1, 2, 3]))\nprint('ok')\n"},
                {"filename": "util.py", "content": "def total(xs):\n    return sum(xs)\n"},
            ],
            "mainfile": "main.py"}})
        assert started["type"] == "[status]:EXECUTION_STARTED", started
        session = started["sessionId"]
        types = []
        while True:
            event = json.loads(await ws.recv())
            types.append(event["type"])
            if event["type"].startswith("[state]:"):
                break
        seen["events"] = types
        value = await request({"action": "get_placeholder", "id": 2, "placeholder": {"sessionId": session, "name": "total"}})
        seen["total"] = value["value"]
        status = await request({"action": "status", "id": 3, "sessionId": session})
        seen["status"] = status["status"]
        seen["legacyStatus"] = status["legacyStatus"]
        await ws.send("{broken")
        error = json.loads(await ws.recv())
        seen["error"] = error["error"]["code"]
        missing = await request({"action": "status", "id": 4, "sessionId": "nope"})
        seen["missing"] = [missing["type"], missing["error"]["message"]]
    print(json.dumps(seen))


asyncio.run(main(sys.argv[1]))
