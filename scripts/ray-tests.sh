#!/usr/bin/env bash
# The Ray backend's tests against a real two-node Ray cluster, started (and
# stopped, whatever happens) by scripts/ray-cluster.sh inside a network
# namespace that holds only loopback: nothing leaves the machine.
#   1. every RuntimeRayTests suite (Jobs API, launcher, runtime, server);
#   2. the protocol suites of RuntimeServiceTests again, their servers' workers
#      placed on the cluster (RUNTIME_TEST_BACKEND=ray): the contract holds
#      with the Ray backend too (the suites about local processes, containment
#      and the browser are left out: they test this machine's workers);
#   3. RayNodeLossTests on a fresh cluster: it kills node B's raylet, with
#      Ray's health checks quickened so the job's failure is known in seconds.
# Expects the tests built (swift build --build-tests); sets up .venv-ray.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ray-setup.sh
contract="RuntimeServiceTests.(RunProtocolTests|WindowTests|ModelAndStatsProtocolTests|RichValueProtocolTests|SubscriptionTests"
contract+="|ErrorReplyTests|ReplySchemaTests|InteropTests|PlacementProtocolTests|AbandonedReadTests|BackPressureTests"
contract+="|GreetingTests|OversizedFrameCloseTests|AuthenticationTests|UserTests|AdoptedSessionProtocolTests|KeptValueMetricsTests|LargeReplyTests)"
# Each test's sessions are Ray jobs beside the cluster's own processes: all
# at once they starve each other on a two-core machine (a 60 s wait for an
# event passed in one CI run); two per core at a time keeps their pace.
width=$((2 * $(nproc)))
unshare -n -- ./scripts/ray-cluster.sh bash -c "
  swift test --skip-build --experimental-maximum-parallelization-width $width --filter RuntimeRayTests &&
  RUNTIME_TEST_BACKEND=ray swift test --skip-build --experimental-maximum-parallelization-width $width --filter '$contract'"
RUNTIME_RAY_KILL_NODE_B=1 RAY_health_check_period_ms=1000 RAY_health_check_failure_threshold=3 RAY_health_check_timeout_ms=1000 \
  unshare -n -- ./scripts/ray-cluster.sh swift test --skip-build --experimental-maximum-parallelization-width "$width" --filter RayNodeLossTests
