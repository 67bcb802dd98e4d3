#!/usr/bin/env bash
# Runs COMMAND against a throwaway two-node Ray cluster on loopback, then tears
# the cluster down and exits with COMMAND's status.
#
#   scripts/ray-cluster.sh COMMAND [ARGS...]
#   unshare -n -- scripts/ray-cluster.sh COMMAND [ARGS...]      (same thing)
#
# Isolation. The script re-executes itself under
#   unshare --pid --fork --mount-proc --kill-child [--net]
# so the cluster and COMMAND live in their own PID namespace, and in a network
# namespace holding only loopback: a new one (--net) unless the script was already
# started in a network namespace of its own (e.g. by `unshare -n --`), which is then
# kept, so that whatever the caller started there sees the cluster too. The PID
# namespace is what makes cleanup certain: `ray stop` inside it sees only this
# cluster's processes (outside it `ray stop` would kill every Ray process on the
# machine), and when the script's inner half (PID 1 there) ends, for any reason,
# the kernel kills everything left in the namespace. Ports are the fixed defaults
# (6379, 8265, ...): no clash with anything outside the namespace, so two runs can
# go on at once. Note that a `ray stop` run OUTSIDE any namespace kills this
# cluster too (it matches processes by name in all namespaces below it).
#
# The cluster (ray[default] from .venv-ray, see scripts/ray-setup.sh, run first):
#   head:   ray start --head, custom resource {"node_a": 1}, GCS 127.0.0.1:6379, dashboard + Jobs API
#           http://127.0.0.1:8265, $RAY_CLUSTER_HEAD_CPUS logical CPUs (default 4)
#   node B: ray start --address 127.0.0.1:6379, custom resource {"node_b": 1},
#           $RAY_CLUSTER_NODE_B_CPUS logical CPUs (default 4); on the same host,
#           so it gets its own dashboard agent port (52366) and worker port range
#           (all its other ports are picked at random by Ray)
#   each:   --memory $RAY_CLUSTER_NODE_MEMORY bytes (logical, default 4 GiB: what
#           entrypoint_memory is checked against), 100 MB object store
#   temp:   a new /tmp/ray-cluster.XXXXXX (logs in session_latest/logs), removed at
#           the end unless RAY_CLUSTER_KEEP_TMP=1
# The script waits (polling the REST API, 120 s deadline) until /api/version and
# /api/jobs/ answer and /api/v0/nodes lists both nodes ALIVE, then runs COMMAND with
#   RUNTIME_RAY_ADDRESS=http://127.0.0.1:8265
#   RAY_CLUSTER_TEMP_DIR=/tmp/ray-cluster.XXXXXX
#   RAY_CLUSTER_VENV=<repo>/.venv-ray
# Node B's raylet is `pgrep -f -- '--static_resource_list=node_b'` (to kill it in a
# failure test). Other environment variables of the caller reach the Ray processes
# and so every job's entrypoint (e.g. RAY_JOB_START_TIMEOUT_SECONDS for the Jobs
# API's pending timeout, default 900 s).
#
# Signals: SIGTERM/SIGINT/SIGHUP to the script are passed to COMMAND as SIGTERM
# (SIGKILL 10 s later if it is still there), then the cluster is stopped. The exit
# status is COMMAND's (128+N if it died of signal N); 1 if the cluster did not
# come up. Timings go to stderr, prefixed "ray-cluster:".
set -euo pipefail

self=$(readlink -f "$0")
repo=$(cd "$(dirname "$self")/.." && pwd)
say() { printf 'ray-cluster: %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

if (($# == 0)); then
  sed -n '2,/^set -euo/p' "$self" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
fi

# ---------------------------------------------------------------- outer half
if [ "${RAY_CLUSTER_INNER:-}" != 1 ]; then
  command -v "$1" >/dev/null || { say "no such command: $1"; exit 127; }
  "$repo/scripts/ray-setup.sh" >&2
  ns=(--pid --fork --mount-proc --kill-child)
  # A network namespace of our own already? Otherwise make one.
  # (/proc/1 unreadable counts as "no": better a new namespace than the host's.)
  init_net=$(readlink /proc/1/ns/net 2>/dev/null || echo unknown)
  if [ "$init_net" = unknown ] || [ "$(readlink /proc/self/ns/net)" = "$init_net" ]; then ns+=(--net); fi
  RAY_CLUSTER_INNER=1 unshare "${ns[@]}" -- "$self" "$@" <&0 &
  unshare_pid=$!
  # unshare --fork blocks SIGINT and SIGTERM while it waits, so a signal meant for
  # this script is handed on to the inner half (PID 1 of the namespace) by hand.
  forward() {
    local inner
    inner=$(cat /proc/"$unshare_pid"/task/*/children 2>/dev/null || true)
    [ -n "$inner" ] && kill -TERM $inner 2>/dev/null || true
  }
  trap forward TERM INT HUP
  # wait returns early when a trapped signal comes in: wait again until it ended.
  while kill -0 "$unshare_pid" 2>/dev/null; do wait "$unshare_pid" || true; done
  status=0
  wait "$unshare_pid" || status=$?
  exit "$status"
fi

# ---------------------------------------------------------------- inner half
# PID 1 of a new PID namespace, in a network namespace with loopback only.
venv=$repo/.venv-ray
ray=$venv/bin/ray
export RAY_USAGE_STATS_ENABLED=0
unset RAY_ADDRESS RAY_CLUSTER_INNER

head_cpus=${RAY_CLUSTER_HEAD_CPUS:-4}
node_b_cpus=${RAY_CLUSTER_NODE_B_CPUS:-4}
node_memory=${RAY_CLUSTER_NODE_MEMORY:-$((4 * 1024 * 1024 * 1024))}
object_store=100000000
address=http://127.0.0.1:8265

tmp=$(mktemp -d /tmp/ray-cluster.XXXXXX)
cmd_pid=
signalled=
status=1

cleanup() {
  local t0
  t0=$(now)
  trap - EXIT
  trap '' TERM HUP
  "$ray" stop --force >"$tmp/stop.log" 2>&1 || true
  # Fallback: whatever is left in this PID namespace (only ours: /proc is this
  # namespace's), but for this shell.
  local pid left=() names=()
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    [ "$pid" = $$ ] && continue
    [ "$(readlink /proc/"$pid"/ns/net 2>/dev/null)" = "$(readlink /proc/self/ns/net)" ] || continue
    left+=("$pid")
    names+=("$(cat /proc/"$pid"/comm 2>/dev/null || echo "?")")
  done
  if ((${#left[@]})); then
    kill -KILL "${left[@]}" 2>/dev/null || true
  fi
  if [ "${RAY_CLUSTER_KEEP_TMP:-0}" = 1 ]; then
    say "kept $tmp"
  else
    rm -rf "$tmp"
  fi
  say "cluster stopped in $(since "$t0") s (${#left[@]} leftover processes killed${names:+: ${names[*]}})"
}
trap 'cleanup; exit "$status"' EXIT

on_signal() {
  signalled=1
  if [ -n "$cmd_pid" ]; then
    kill -TERM "$cmd_pid" 2>/dev/null || true
  else
    status=143
    exit 143   # still starting the cluster: the EXIT trap cleans up
  fi
}
trap on_signal TERM HUP INT

ip link set lo up

started=$(now)
start_log=$tmp/start.log
if ! "$ray" start --head \
      --node-ip-address 127.0.0.1 --port 6379 \
      --dashboard-host 127.0.0.1 --dashboard-port 8265 --include-dashboard true \
      --num-cpus "$head_cpus" --memory "$node_memory" --object-store-memory "$object_store" \
      --resources '{"node_a": 1}' \
      --min-worker-port 20000 --max-worker-port 20999 \
      --temp-dir "$tmp" --disable-usage-stats >>"$start_log" 2>&1; then
  tail -n 40 "$start_log" >&2
  say "head node failed to start"
  exit 1
fi
head_up=$(since "$started")
if ! "$ray" start --address 127.0.0.1:6379 \
      --node-ip-address 127.0.0.1 \
      --num-cpus "$node_b_cpus" --memory "$node_memory" --object-store-memory "$object_store" \
      --resources '{"node_b": 1}' \
      --dashboard-agent-listen-port 52366 \
      --min-worker-port 21000 --max-worker-port 21999 \
      --disable-usage-stats >>"$start_log" 2>&1; then
  tail -n 40 "$start_log" >&2
  say "node B failed to start"
  exit 1
fi
node_b_up=$(since "$started")

# Poll the REST API until the Jobs API answers and both nodes are ALIVE.
if ! "$venv/bin/python" - "$address" <<'EOF' >&2; then
import json, sys, time, urllib.request
address = sys.argv[1]
deadline = time.monotonic() + 120
def get(path):
    with urllib.request.urlopen(address + path, timeout=5) as response:
        return json.loads(response.read())
last = "no answer yet"
while time.monotonic() < deadline:
    try:
        get("/api/version")
        get("/api/jobs/")
        nodes = get("/api/v0/nodes")["data"]["result"]["result"]
        alive = [n for n in nodes if n["state"] == "ALIVE"]
        heads = [n for n in alive if n["is_head_node"]]
        node_b = [n for n in alive if n["resources_total"].get("node_b")]
        if len(alive) == 2 and heads and node_b:
            sys.exit(0)
        last = f"{len(alive)} of 2 nodes alive"
    except Exception as error:
        last = repr(error)
    time.sleep(0.2)
print(f"ray-cluster: cluster not ready after 120 s: {last}", file=sys.stderr)
sys.exit(1)
EOF
  tail -n 40 "$start_log" >&2
  say "cluster did not become ready"
  exit 1
fi
say "cluster up in $(since "$started") s (head $head_up s, node B $node_b_up s, then REST API ready) at $address, temp dir $tmp"

export RUNTIME_RAY_ADDRESS=$address RAY_CLUSTER_TEMP_DIR=$tmp RAY_CLUSTER_VENV=$venv
# In the background so that a signal is acted on at once (a foreground command
# would defer the trap until it ends); stdin stays the script's.
"$@" <&0 &
cmd_pid=$!
killer=
while kill -0 "$cmd_pid" 2>/dev/null; do
  wait "$cmd_pid" || true
  # wait was cut short by a signal: COMMAND has had SIGTERM; SIGKILL 10 s later.
  if [ -n "$signalled" ] && [ -z "$killer" ]; then
    ( sleep 10; kill -KILL "$cmd_pid" 2>/dev/null ) &
    killer=$!
    disown "$killer"
  fi
done
status=0
wait "$cmd_pid" || status=$?
exit "$status"
