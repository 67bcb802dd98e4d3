#!/usr/bin/env python3
"""Soak load for RuntimeServer: started by scripts/soak.sh, not run in CI.

Starts the server binary it is given on a free loopback port, then for the
given minutes several client threads mix, over the WebSocket protocol
(docs: /work/shared/design/protocol.md, Docs/Protocol.md):

  - runs: normal programs (values, a DataFrame, a model), programs that print
    a lot, programs that fail, and the hostile programs of Docs/Security.md
    (fork bomb, 50 children, memory hog, descriptor walk writing to every
    descriptor, os.kill of the parent and of pid 1, floods of raw writes to fd 1);
  - reads: get_placeholder with windows, get_stats, run_model, status,
    list_sessions; stops; deletes;
  - clients that disconnect abruptly (TCP reset in the middle of a run),
    clients that send requests and never read the replies, and crowds of
    idle connections.

Every 30 s, and at the end, it prints requests served, errors by code, the
server's RSS over time (from /proc) and how many processes are below it.
At the end it deletes what is left, sends SIGTERM, and reports the server's
exit status and every process ever seen below the server that is still
alive (must be none). Exit status 0 only when the server exited 0, nothing
was left, the server never died during the soak, no client saw a broken
protocol (no reply, a closed connection, INTERNAL), and every error reply was
one the scenario asked for (reading a missing placeholder, ...), and every
run ended as its program should (EXPECTED_ENDS).

Standard library only: a minimal RFC 6455 client (text frames, masking,
fragmentation, ping/pong, close) is below, so no dependency is added.
"""

import argparse
import base64
import collections
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

# ---------------------------------------------------------------- WebSocket


class Closed(Exception):
    """The server closed the connection (or it broke)."""


class Timeout(Exception):
    """No reply in time."""


class WebSocket:
    """A blocking RFC 6455 client connection: enough for this protocol."""

    def __init__(self, host, port, timeout=30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Closed("closed during the upgrade")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise Closed(f"upgrade refused: {status.decode(errors='replace')}")
        self.lock = threading.Lock()

    def send_text(self, text):
        self._send_frame(0x1, text.encode())

    def _send_frame(self, opcode, payload):
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        # XOR with the mask through big integers: fast enough for megabytes.
        repeated = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big") if n else b""
        with self.lock:
            self.sock.sendall(header + mask + masked)

    def _read_exactly(self, n):
        while len(self.buffer) < n:
            try:
                chunk = self.sock.recv(max(65536, n - len(self.buffer)))
            except socket.timeout as error:
                raise Timeout("read timed out") from error
            except OSError as error:
                raise Closed(str(error)) from error
            if not chunk:
                raise Closed("connection closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def receive(self, timeout):
        """The next text (or binary) message, as a str."""
        self.sock.settimeout(timeout)
        parts = []
        while True:
            b0, b1 = self._read_exactly(2)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read_exactly(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read_exactly(8))[0]
            if b1 & 0x80:
                mask = self._read_exactly(4)
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read_exactly(n)))
            else:
                payload = self._read_exactly(n)
            if opcode == 0x8:
                raise Closed(f"close frame {payload[:2].hex()} {payload[2:].decode(errors='replace')}")
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            parts.append(payload)
            if b0 & 0x80:
                return b"".join(parts).decode("utf-8", errors="replace")

    def close(self):
        try:
            self._send_frame(0x8, struct.pack(">H", 1000))
        except OSError:
            pass
        self.sock.close()

    def reset(self):
        """Disconnects abruptly: a TCP reset, no close frame."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


# ---------------------------------------------------------------- statistics


class Stats:
    """Shared counters (one lock; the clients are threads)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.served = collections.Counter()        # replies by action
        self.errors = collections.Counter()        # (code, action, expected) of [error] replies
        self.client_errors = collections.Counter() # what went wrong on the client's side
        self.runs = collections.Counter()          # (program, how it ended)
        self.run_examples = {}                     # (program, how it ended) -> the first error message
        self.broken = []                           # first few protocol breaks, for the report

    def reply(self, action, message, expect=(), scenario=""):
        with self.lock:
            self.served[action] += 1
            kind = message.get("type", "")
            if kind.startswith("[error]:"):
                code = kind[len("[error]:"):]
                self.errors[(code, action, code in expect)] += 1
                if code not in expect and len(self.broken) < 30:
                    text = (message.get("error") or {}).get("message", "")
                    self.broken.append(f"{time.strftime('%H:%M:%S')} {code} on {action} in {scenario}: {text}"[:300])

    def client_error(self, what, detail=""):
        with self.lock:
            self.client_errors[what] += 1
            if len(self.broken) < 20:
                self.broken.append(f"{time.strftime('%H:%M:%S')} {what} {detail}"[:300])

    def run(self, program, end, example=""):
        with self.lock:
            self.runs[(program, end)] += 1
            if example:
                self.run_examples.setdefault((program, end), example[:160])


# ---------------------------------------------------------------- programs

NORMAL = """
import numpy as np, pandas as pd
from sklearn.linear_model import LinearRegression
from runtimeBridge import save_placeholder
rows = {rows}
df = pd.DataFrame({{'x': np.arange(rows, dtype=float), 'y': np.arange(rows) * 2.0,
                   'name': ['n%d' % (i % 17) for i in range(rows)]}})
save_placeholder('df', df)
save_placeholder('arr', np.arange(rows * 3).reshape(rows, 3))
save_placeholder('numbers', [i * 0.5 for i in range(200)])
model = LinearRegression().fit(df[['x']], df['y'])
save_placeholder('model', model)
save_placeholder('info', {{'rows': rows, 'ok': True}})
print('done', rows)
"""

PRINTS_A_LOT = """
import sys
for i in range(20000):
    print('line', i, 'x' * 200)
sys.stderr.write('e' * 300000)
"""

FAILS = """
from runtimeBridge import save_placeholder
save_placeholder('before', 1)
def main():
    raise ValueError('boom')
main()
"""

LONG = """
import time
from runtimeBridge import save_placeholder
save_placeholder('started', True)
print('started', flush=True)
i = 0
while True:
    i += 1
    if i % 100000 == 0:
        time.sleep(0.01)
"""

HOSTILE = {
    # The pids cgroup (--max-processes) must hold it; the soak stops it.
    "fork_bomb": """
import os
print('started', flush=True)
while True:
    try:
        os.fork()
    except OSError:
        pass
""",
    "fifty_children": """
import subprocess, time
children = [subprocess.Popen(['sleep', '3011']) for _ in range(50)]
print('started', flush=True)
time.sleep(1000)
""",
    # Over --memory-limit-mb: the kernel kills it, the run fails (WorkerCrashed).
    "memory_hog": """
hoard = []
while True:
    hoard.append(bytearray(16 << 20))
""",
    # Writes to every descriptor it holds, in a random order: junk, a forged
    # 4 GiB frame header, and well-formed forged frames (output, placeholders,
    # a reply to no request, a run's end). The server must end the worker at
    # the first bad frame, hold forged output to the cap, and never crash.
    "fd_walk": """
import os, json, random
found = {}
for name in os.listdir('/proc/self/fd'):
    try:
        found[int(name)] = os.readlink('/proc/self/fd/' + name)
    except OSError:
        pass
print(found, flush=True)
def frame(value):
    body = json.dumps(value).encode()
    return len(body).to_bytes(4, 'big') + body
payloads = [frame({'ev': 'output', 'stream': 'stdout', 'text': 'forged' * 1000})] * 5
payloads += [frame({'ev': 'ready', 'name': 'p%d' % i, 'type': 'int'}) for i in range(50)]
payloads += [frame({'ev': 'reply', 'rid': 2 ** 40, 'ok': True}), frame({'ev': 'reply', 'rid': 'x'}),
             frame({'ev': 'finished'}), frame({'ev': 'failed', 'error': [1, 2]}), frame([1, 2, 3])]
random.shuffle(payloads)
payloads.insert(random.randrange(len(payloads) + 1), random.choice([b'garbage', b'\\xff\\xff\\xff\\xff']))
for fd in sorted(found):
    for payload in payloads:
        try:
            os.write(fd, payload)
        except OSError:
            pass
""",
    "kill_parent": """
import os, signal
for target in (os.getppid(), 1, -1):
    for sig in (signal.SIGTERM, signal.SIGKILL, signal.SIGSTOP):
        try:
            os.kill(target, sig)
        except OSError:
            pass
print('still here', flush=True)
""",
    "writes_fd1": """
import os
for _ in range(300):
    os.write(1, b'x' * 100000)
os.write(2, b'raw stderr\\n')
""",
}

# Programs known to take the whole server down (see the soak notes in the
# report of issue 8); run only with --with-known-crashers, because once one
# runs, the soak measures nothing more.
KNOWN_CRASHERS = {
    # WorkerProcess.dispatch converts a hello frame's pid with Int32(...), which
    # traps on 2**32: one program ends the server and every session (SIGILL).
    "forged_hello_pid": """
import os, json
body = json.dumps({'ev': 'hello', 'pid': 2 ** 32}).encode()
for name in os.listdir('/proc/self/fd'):
    if int(name) > 2:
        try:
            os.write(int(name), len(body).to_bytes(4, 'big') + body)
        except OSError:
            pass
""",
}


# How each program may end; any other end fails the soak (reported with its message).
EXPECTED_ENDS = {
    "normal": {"finished"},
    "prints_a_lot": {"finished"},
    "fails": {"failed:ValueError"},
    "long_then_stop": {"stopped", "stopped (killed)"},
    "hostile:fork_bomb": {"stopped", "stopped (killed)", "failed:WorkerCrashed"},
    "hostile:fifty_children": {"stopped", "stopped (killed)"},
    "hostile:memory_hog": {"failed:WorkerCrashed"},
    # Its forged frames may reach the server before the bad one: a forged end
    # ("finished", or "failed" with an error that is not an object) is its own business.
    "hostile:fd_walk": {"failed:WorkerProtocolViolation", "finished", "failed:Exception"},
    "hostile:kill_parent": {"finished"},
    "hostile:writes_fd1": {"finished"},
    "hostile:forged_hello_pid": {"failed:WorkerProtocolViolation"},
    "client:disconnect": {"went away"},
    "client:never_reads": {"went away"},
}


# ---------------------------------------------------------------- clients


class Client:
    """One connection, with request/reply matching by `id`."""

    ids = iter(range(1, 1 << 62))
    ids_lock = threading.Lock()

    def __init__(self, soak):
        self.soak = soak
        self.ws = WebSocket("127.0.0.1", soak.port)
        self.scenario = ""     # what this connection is doing, for the report
        self.ended = {}        # sessionId -> terminal event
        self.outputs = collections.Counter()

    @classmethod
    def next_id(cls):
        with cls.ids_lock:
            return next(cls.ids)

    def _note(self, message):
        kind = message.get("type", "")
        if kind in ("[state]:EXECUTION_FINISHED", "[state]:EXECUTION_FAILED", "[state]:EXECUTION_STOPPED"):
            self.ended[str(message.get("sessionId"))] = message
        elif kind == "[run]:OUTPUT":
            self.outputs[str(message.get("sessionId"))] += 1

    def request(self, body, timeout=90.0, expect=()):
        """Sends a request and reads until its reply; `expect`: error codes the scenario asks for."""
        action = body["action"]
        body = dict(body, id=self.next_id())
        self.ws.send_text(json.dumps(body))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout(f"no reply to {action} in {timeout:.0f}s")
            message = json.loads(self.ws.receive(left))
            self._note(message)
            if message.get("id") == body["id"]:
                self.soak.stats.reply(action, message, expect, self.scenario)
                if message.get("type") == "[error]:INTERNAL":
                    self.soak.stats.client_error("INTERNAL", json.dumps(message)[:200])
                return message

    def wait_end(self, session, timeout=120.0):
        deadline = time.monotonic() + timeout
        while session not in self.ended:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout(f"session {session} did not end in {timeout:.0f}s")
            self._note(json.loads(self.ws.receive(left)))
        return self.ended[session]

    def wait_output(self, session, timeout=60.0):
        """Until the session wrote something (its program started)."""
        deadline = time.monotonic() + timeout
        while self.outputs[session] == 0 and session not in self.ended:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout(f"session {session} wrote nothing in {timeout:.0f}s")
            self._note(json.loads(self.ws.receive(left)))

    def run(self, program):
        reply = self.request({"action": "run", "python": {
            "files": [{"filename": "main.py", "content": program}], "mainfile": "main.py"}})
        if reply.get("type") != "[status]:EXECUTION_STARTED":
            return None
        return str(reply["sessionId"])

    def record_end(self, program, event):
        error = event.get("error") or {}
        self.soak.stats.run(program, self.end_name(event), error.get("message", "") if isinstance(error, dict) else "")

    def end_name(self, event):
        kind = event.get("type", "")
        if kind.endswith("FAILED"):
            return "failed:" + str((event.get("error") or {}).get("type"))
        if kind.endswith("STOPPED"):
            return "stopped" + (" (killed)" if event.get("killed") else "")
        return "finished"

    def close(self):
        self.ws.close()


def placeholder(session, name, **extra):
    return dict({"action": "get_placeholder", "placeholder": {"sessionId": session, "name": name}}, **extra)


class Soak:
    def __init__(self, args):
        self.args = args
        self.port = args.port
        self.stats = Stats()
        self.deadline = time.monotonic() + args.minutes * 60
        self.stop_event = threading.Event()
        self.samples = []            # (seconds, server RSS kB, workers RSS kB, processes below)
        self.seen = {}               # pid -> start time, every process ever below the server
        self.server_died = None
        self.started = time.monotonic()
        self.pending_lock = threading.Lock()
        self.abandoned = []          # sessions whose client went away, to delete

    # ---- the mix

    def scenario_normal(self, c):
        session = c.run(NORMAL.format(rows=random.choice([10, 1000, 20000])))
        if session is None:
            return
        c.record_end("normal", c.wait_end(session))
        rows = 20000
        for _ in range(random.randint(1, 4)):
            begin = random.randint(0, rows)
            c.request(placeholder(session, "df", window={"begin": begin, "size": random.choice([0, 1, 20, 500])}))
        c.request(placeholder(session, "arr", window={"begin": 0, "size": 100}))
        c.request(placeholder(session, "numbers"))
        c.request(placeholder(session, "info"))
        c.request(placeholder(session, "missing"), expect=("PLACEHOLDER_NOT_FOUND",))
        c.request({"action": "get_stats", "placeholder": {"sessionId": session, "name": "df"}})
        c.request({"action": "get_stats", "placeholder": {"sessionId": session, "name": "info"}},
                  expect=("NOT_A_DATASET",))
        c.request({"action": "run_model", "model": {"sessionId": session, "name": "model", "is_data": True,
                                                    "data": [[1.0], [2.0], [3.5]]}})
        c.request({"action": "run_model", "model": {"sessionId": session, "name": "df", "data": [[1.0]]}},
                  expect=("NOT_A_MODEL",))
        c.request({"action": "status", "sessionId": session})
        c.request({"action": "list_sessions"})
        c.request({"action": "delete_session", "sessionId": session})

    def scenario_prints(self, c):
        session = c.run(PRINTS_A_LOT)
        if session:
            c.record_end("prints_a_lot", c.wait_end(session))
            c.request({"action": "delete_session", "sessionId": session})

    def scenario_fails(self, c):
        session = c.run(FAILS)
        if session:
            c.record_end("fails", c.wait_end(session))
            c.request(placeholder(session, "before"))
            c.request({"action": "status", "sessionId": session})
            c.request({"action": "delete_session", "sessionId": session})

    def scenario_stop(self, c):
        session = c.run(LONG)
        if session:
            c.wait_output(session)  # 'started' is saved by then
            time.sleep(random.uniform(0.0, 2.0))
            c.request({"action": "stop", "sessionId": session})
            end = c.wait_end(session, timeout=30)
            c.record_end("long_then_stop", end)
            # Killed (the interrupt did not land in time): the values are gone with the worker.
            c.request(placeholder(session, "started"), expect=("PLACEHOLDER_NOT_FOUND",) if end.get("killed") else ())
            c.request({"action": "delete_session", "sessionId": session})

    def scenario_hostile(self, c):
        programs = dict(HOSTILE, **(KNOWN_CRASHERS if self.args.with_known_crashers else {}))
        if self.args.hostile:
            programs = {name: programs[name] for name in self.args.hostile.split(",")}
        name = random.choice(sorted(programs))
        session = c.run(programs[name])
        if not session:
            return
        if name in ("fork_bomb", "fifty_children"):
            try:
                c.wait_output(session, timeout=60)
            except Timeout:
                pass
            time.sleep(random.uniform(0.5, 3.0))
            c.request({"action": "stop", "sessionId": session}, timeout=60)
        c.record_end("hostile:" + name, c.wait_end(session, timeout=120))
        c.request({"action": "status", "sessionId": session})
        c.request({"action": "delete_session", "sessionId": session})

    def scenario_disconnect(self, c):
        """A run, a read, and a TCP reset in the middle; the session is deleted later by another connection."""
        session = c.run(random.choice([LONG, NORMAL.format(rows=1000), PRINTS_A_LOT]))
        if session:
            c.ws.send_text(json.dumps(placeholder(session, "df", id=1)))
            time.sleep(random.uniform(0, 0.5))
            with self.pending_lock:
                self.abandoned.append(session)
        c.ws.reset()
        self.stats.run("client:disconnect", "went away")

    def scenario_never_reads(self, c):
        """Sends requests for a large value and never reads the replies, then goes."""
        session = c.run(NORMAL.format(rows=20000))
        if not session:
            return
        c.wait_end(session)
        for i in range(200):
            c.ws.send_text(json.dumps(placeholder(session, "df", window={"begin": 0, "size": 2000}, id=f"nr{i}")))
        time.sleep(random.uniform(2, 8))
        c.ws.reset()
        with self.pending_lock:
            self.abandoned.append(session)
        self.stats.run("client:never_reads", "went away")

    def scenario_idle_crowd(self, c):
        """Many idle connections for a while: the server's descriptor numbers climb
        (past 64, where ChildSpawner staged descriptors until it was fixed)."""
        crowd = []
        try:
            for _ in range(random.randint(20, 60)):
                crowd.append(WebSocket("127.0.0.1", self.port))
            time.sleep(random.uniform(3, 10))
        finally:
            for ws in crowd:
                ws.close()
        c.request({"action": "list_sessions"})

    SCENARIOS = [("normal", 30), ("prints", 6), ("fails", 10), ("stop", 10), ("hostile", 14),
                 ("disconnect", 8), ("never_reads", 3), ("idle_crowd", 3)]

    def client_loop(self, index):
        random.seed(self.args.seed * 1000 + index)
        mix = self.args.mix or self.SCENARIOS
        names = [n for n, _ in mix]
        weights = [w for _, w in mix]
        iterations = 0
        while time.monotonic() < self.deadline and not self.stop_event.is_set() and iterations < self.args.max_iterations:
            iterations += 1
            name = random.choices(names, weights)[0]
            try:
                c = Client(self)
            except (OSError, Closed, Timeout) as error:
                self.stats.client_error("connect", str(error))
                time.sleep(1)
                continue
            c.scenario = name
            try:
                getattr(self, "scenario_" + name)(c)
                if name not in ("disconnect", "never_reads"):
                    c.close()
            except Timeout as error:
                self.stats.client_error("timeout:" + name, str(error))
                c.ws.reset()
            except (Closed, OSError, ValueError, KeyError) as error:
                self.stats.client_error("broken:" + name, f"{type(error).__name__}: {error}")
                try:
                    c.ws.reset()
                except OSError:
                    pass
            self.reap_abandoned()

    def reap_abandoned(self, everything=False):
        """Deletes sessions whose client went away (a few at a time)."""
        with self.pending_lock:
            take = self.abandoned if everything else self.abandoned[:2]
            self.abandoned = [] if everything else self.abandoned[2:]
        if not take:
            return
        try:
            c = Client(self)
            for session in take:
                c.request({"action": "delete_session", "sessionId": session})
            c.close()
        except (OSError, Closed, Timeout) as error:
            self.stats.client_error("reap", str(error))

    # ---- the server's side, from /proc

    @staticmethod
    def proc_stat(pid):
        """(ppid, start time) of a process, or None."""
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[1]), int(fields[19])
        except (OSError, IndexError, ValueError):
            return None

    @staticmethod
    def rss_kb(pid):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def descendants(self, root):
        children = collections.defaultdict(list)
        starts = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                stat = self.proc_stat(int(name))
                if stat:
                    children[stat[0]].append(int(name))
                    starts[int(name)] = stat[1]
        found, todo = [], [root]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return {pid: starts[pid] for pid in found if pid in starts}

    def sample(self):
        below = self.descendants(self.server.pid)
        self.seen.update(below)
        workers = sum(self.rss_kb(pid) for pid in below)
        self.samples.append((time.monotonic() - self.started, self.rss_kb(self.server.pid), workers, len(below)))

    def monitor(self):
        last_report = time.monotonic()
        while not self.stop_event.wait(2.0):
            self.sample()
            if self.server.poll() is not None:
                self.server_died = self.server.returncode
                print(f"!!! the server died during the soak (status {self.server_died})", flush=True)
                self.stop_event.set()
                return
            if time.monotonic() - last_report >= 30:
                last_report = time.monotonic()
                self.report("progress")

    # ---- reports

    def report(self, title):
        s = self.stats
        elapsed = time.monotonic() - self.started
        with s.lock:
            served = sum(s.served.values())
            lines = [f"--- soak {title} at {elapsed:.0f}s: {served} requests served "
                     f"({served / max(elapsed, 1):.1f}/s); runs ended: {sum(s.runs.values())}"]
            for expected, label in ((False, "unexpected"), (True, "asked for by the scenario")):
                errors = sorted((k, n) for k, n in s.errors.items() if k[2] == expected)
                lines.append(f"    errors by code, {label}: " + (", ".join(
                    f"{code} ({action}) {n}" for (code, action, _), n in errors) or "none"))
            if s.client_errors:
                lines.append("    client side: " + ", ".join(f"{k} {n}" for k, n in sorted(s.client_errors.items())))
        if self.samples:
            t, rss, workers, below = self.samples[-1]
            peak = max(x[1] for x in self.samples)
            lines.append(f"    server RSS {rss / 1024:.0f} MiB (peak {peak / 1024:.0f} MiB), "
                         f"sessions' processes RSS {workers / 1024:.0f} MiB (summed, shared pages counted per process), "
                         f"{below} processes below the server")
        print("\n".join(lines), flush=True)

    def unexpected_ends(self):
        return sum(n for (program, end), n in self.stats.runs.items() if end not in EXPECTED_ENDS.get(program, ()))

    def final_report(self, exit_status, left, below_before_term):
        s = self.stats
        print("=" * 72)
        self.report("final")
        print("    requests by action: " + ", ".join(f"{a} {n}" for a, n in sorted(s.served.items())))
        print("    runs by program and end:")
        for (program, end), n in sorted(s.runs.items()):
            example = s.run_examples.get((program, end), "")
            flag = "  " if end in EXPECTED_ENDS.get(program, ()) else "!!"
            print(f"    {flag}{program:24} {end:32} {n:5}" + (f"   e.g. {example!r}" if example else ""))
        print(f"    runs that ended as their program should not (marked !!): {self.unexpected_ends()}")
        print("    RSS over time (elapsed: server MiB / sessions' processes MiB / processes below the server):")
        step = max(1, len(self.samples) // 20)
        picked = self.samples[::step] + ([self.samples[-1]] if self.samples and (len(self.samples) - 1) % step else [])
        print("      " + "  ".join(f"{t:.0f}s: {r / 1024:.0f}/{w / 1024:.0f}/{b}" for t, r, w, b in picked))
        if s.broken:
            print("    first problems (client side, and error replies no scenario asked for):")
            for line in s.broken:
                print("      " + line)
        print(f"    processes below the server after deleting every session (warm pool only): {below_before_term}")
        print(f"    server exit status after SIGTERM: {exit_status}")
        print(f"    processes ever seen below the server still alive after its exit: {len(left)}"
              + (f" {sorted(left)}" if left else ""))

    # ---- main

    def main(self):

        log = open(self.args.log, "wb")
        command = [self.args.server, "--host", "127.0.0.1", "--port", str(self.port),
                   "--memory-limit-mb", str(self.args.memory_limit_mb),
                   "--max-processes", str(self.args.max_processes),
                   "--python", self.args.python, "--log-level", self.args.log_level]
        print("server: " + " ".join(command), flush=True)
        self.server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        with open(self.args.pid_file, "w") as f:
            f.write(str(self.server.pid))
        exit_status, left, below = None, {}, None
        try:
            self.wait_ready()
            monitor = threading.Thread(target=self.monitor, daemon=True)
            monitor.start()
            clients = [threading.Thread(target=self.client_loop, args=(i,), daemon=True)
                       for i in range(self.args.clients)]
            for t in clients:
                t.start()
            for t in clients:
                # Bounded: each client stops at the deadline; a stuck one is left behind after a grace period.
                t.join(max(1.0, self.deadline - time.monotonic() + 150))
            self.stop_event.set()
            monitor.join(5)
            if self.server.poll() is None:
                self.reap_abandoned(everything=True)
                self.delete_everything()
                time.sleep(3)
                self.sample()
                below = len(self.descendants(self.server.pid))
        finally:
            exit_status = self.terminate()
            left = self.still_alive()
            self.final_report(exit_status, left, below)
        broken = sum(n for k, n in self.stats.client_errors.items()
                     if k.startswith(("broken", "timeout", "INTERNAL", "connect")))
        unexpected = sum(n for (_, _, expected), n in self.stats.errors.items() if not expected)
        ok = (exit_status == 0 and not left and self.server_died is None and broken == 0 and unexpected == 0
              and self.unexpected_ends() == 0)
        print("soak: " + ("PASS" if ok else "FAIL"))
        return 0 if ok else 1

    def wait_ready(self):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise SystemExit(f"the server exited with {self.server.returncode} at start; see {self.args.log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if b"200" in s.recv(100):
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("the server did not answer /healthz in 120 s")

    def delete_everything(self):
        try:
            c = Client(self)
            sessions = c.request({"action": "list_sessions"}).get("sessions", [])
            for entry in sessions:
                c.request({"action": "delete_session", "sessionId": entry["sessionId"]}, timeout=60)
            c.close()
            print(f"deleted the {len(sessions)} sessions left", flush=True)
        except (OSError, Closed, Timeout) as error:
            self.stats.client_error("cleanup", str(error))

    def terminate(self):
        if self.server.poll() is None:
            self.sample()
            self.server.send_signal(signal.SIGTERM)
            try:
                return self.server.wait(60)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
                return "did not exit within 60 s of SIGTERM (killed)"
        return self.server.returncode

    def still_alive(self):
        time.sleep(2)  # the kernel tears namespaces down asynchronously
        left = {}
        for pid, start in self.seen.items():
            stat = self.proc_stat(pid)
            if stat and stat[1] == start:
                left[pid] = start
        return left


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server", required=True, help="the RuntimeServer binary")
    p.add_argument("--python", required=True, help="the Python to embed (a venv's bin/python)")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--clients", type=int, default=6)
    p.add_argument("--memory-limit-mb", type=int, default=512)
    p.add_argument("--max-processes", type=int, default=64)
    p.add_argument("--max-iterations", type=int, default=100000, help="per client, a bound besides the time")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--log-level", default="info", help="the server's --log-level")
    p.add_argument("--mix", type=lambda text: [(n, float(w)) for n, w in (part.split("=") for part in text.split(","))],
                   help="scenario weights, e.g. hostile=3,normal=1 (default: Soak.SCENARIOS)")
    p.add_argument("--hostile", help="only these hostile programs, comma-separated (default: all)")
    p.add_argument("--with-known-crashers", action="store_true",
                   help="also run the programs known to crash the server (KNOWN_CRASHERS)")
    p.add_argument("--log", required=True, help="where the server's log goes")
    p.add_argument("--pid-file", required=True, help="where the server's pid is written (for the caller's trap)")
    return p.parse_args()


if __name__ == "__main__":
    # SIGTERM/SIGINT end the soak through the finally above (server stopped, report printed).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    sys.exit(Soak(parse_args()).main())
