"""Times `get` requests against one runtime-worker directly over its frame pipes.

    python3 read_timings.py WORKER PYTHON [SIZES]

WORKER is a built runtime-worker (e.g. .build/release/runtime-worker), PYTHON
the environment's interpreter (.venv/bin/python), SIZES comma-separated row
counts (default 10000,50000,1000000). For each size, a DataFrame of three
numeric columns and one with a text column in place of the third are read
whole (one window) and as a first page of 100 rows. Printed per read: wall
time to the reply's last byte, the worker's CPU time (all its threads), and
the reply's size. Not a test: timings on shared machines vary; compare runs
made side by side.
"""
import json, os, struct, subprocess, sys, tempfile, time

WORKER, PYTHON = sys.argv[1], sys.argv[2]
SIZES = [int(x) for x in (sys.argv[3] if len(sys.argv) > 3 else "10000,50000,1000000").split(",")]


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def send(worker, frame):
    body = json.dumps(frame).encode()
    worker.stdin.write(struct.pack(">I", len(body)) + body)
    worker.stdin.flush()


def receive(worker, event):
    """The next frame with this `ev`, its size, and when its last byte came."""
    while True:
        header = worker.stdout.read(4)
        if len(header) < 4:
            raise EOFError("the worker ended")
        size = struct.unpack(">I", header)[0]
        body = worker.stdout.read(size)
        arrived = time.perf_counter()
        frame = json.loads(body)
        if frame.get("ev") == event:
            return frame, size, arrived


PROGRAM = """
import numpy as np, pandas as pd
from runtimeBridge import save_placeholder
for n in %r:
    save_placeholder("num%%d" %% n, pd.DataFrame({"a": np.arange(n), "b": np.arange(n) * 0.5, "c": np.arange(n) %% 7}))
    save_placeholder("txt%%d" %% n, pd.DataFrame({"a": np.arange(n), "b": np.arange(n) * 0.5,
                                                "c": ["row %%d text" %% i for i in range(n)]}))
""" % (SIZES,)

folder = tempfile.mkdtemp()
with open(os.path.join(folder, "main.py"), "w") as f:
    f.write(PROGRAM)
worker = subprocess.Popen([WORKER, "--python", PYTHON, "--preload", "numpy,pandas"],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE)
receive(worker, "hello")
send(worker, {"op": "run", "directory": folder, "main": "main.py"})
receive(worker, "finished")
rid = 0
for n in SIZES:
    for kind in ("num", "txt"):
        for rows in (n, 100):
            rid += 1
            start, cpu = time.perf_counter(), cpu_seconds(worker.pid)
            send(worker, {"op": "get", "rid": rid, "name": "%s%d" % (kind, n), "window": {"begin": 0, "size": rows}})
            reply, size, arrived = receive(worker, "reply")
            assert reply["ok"], reply
            print("%s %8d rows, window %8d: %7.3f s wall, %6.2f s worker cpu, %10d bytes"
                  % (kind, n, rows, arrived - start, cpu_seconds(worker.pid) - cpu, size), flush=True)
worker.stdin.close()
worker.wait()
