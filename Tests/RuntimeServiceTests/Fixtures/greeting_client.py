"""Clients written for the original server: they wait for its greeting,
{"type": "[users]:INFO", "count": N}, before sending anything.

Usage: greeting_client.py ws://127.0.0.1:PORT/
Prints one JSON object of what it saw; exits non-zero on any surprise.
"""
import asyncio
import json
import sys

import websockets


async def first_message(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), 30))


async def main(url):
    seen = {}
    async with websockets.connect(url) as a:
        # As the original test script: nothing is sent before the greeting arrives.
        seen["first"] = await first_message(a)
        async with websockets.connect(url) as b:
            seen["second"] = await first_message(b)
            # Not broadcast: a's next message is the reply to its own request.
            await a.send(json.dumps({"action": "list_sessions", "id": "after"}))
            seen["aNext"] = await first_message(a)
            await b.send(json.dumps({"action": "run", "id": "r", "python": {
                "files": [{"filename": "main.py", "content": "print('hi')\n"}], "mainfile": "main.py"}}))
            started = await first_message(b)
            seen["started"] = [started["type"], started.get("seq"), started.get("id")]
    print(json.dumps(seen))


asyncio.run(main(sys.argv[1]))
