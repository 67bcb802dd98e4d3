import RuntimeCore
import Testing
@testable import RuntimeRay

/// The JSON the Ray backend sends and reads, checked without a cluster.
struct RayRequestTests {
    @Test func aLaunchBecomesTheSubmissionRayExpects() throws {
        let submission = try RayJobSubmission(
            submissionID: "runtime-worker-7", arguments: ["/opt/bin/runtime-worker", "--connect", "10.0.0.1:9000", "it's"],
            resources: WorkerResources(cpus: 2, memoryMB: 512, custom: ["node_b": 1, "accel": 0.5]),
            environment: ["RUNTIME_TICKET": "t0k", "PYTHONPATH": "/srv/lib"],
            metadata: ["python_runtime_server": "host:8080"])
        #expect(submission.json.jsonString == #"""
            {"entrypoint":"exec /opt/bin/runtime-worker --connect 10.0.0.1:9000 'it'\\''s'",\#
            "submission_id":"runtime-worker-7","entrypoint_num_cpus":2,"entrypoint_memory":536870912,\#
            "entrypoint_resources":{"accel":0.5,"node_b":1},\#
            "runtime_env":{"env_vars":{"PYTHONPATH":"/srv/lib","RUNTIME_TICKET":"t0k"}},\#
            "metadata":{"python_runtime_server":"host:8080"}}
            """#)
    }

    /// Ray expands `$NAME` in `env_vars`: such a value goes on the command line.
    @Test func aValueWithADollarIsSetOnTheCommandLine() throws {
        let submission = try RayJobSubmission(submissionID: "j", arguments: ["/bin/w", "x"], resources: WorkerResources(),
                                              environment: ["B": "cost $5", "A": "${HOME}", "C": "plain"])
        #expect(submission.entrypoint == "exec env 'A=${HOME}' 'B=cost $5' /bin/w x")
        #expect(submission.environment == ["C": "plain"])
        #expect(throws: RuntimeError.self) {
            try RayJobSubmission(submissionID: "j", arguments: ["a=b"], resources: WorkerResources(), environment: ["A": "$"])
        }
    }

    @Test func fieldsWithNothingAskedForAreLeftOut() throws {
        let submission = try RayJobSubmission(submissionID: "j", arguments: ["sleep", "30"], resources: WorkerResources())
        #expect(submission.json.jsonString == #"{"entrypoint":"exec sleep 30","submission_id":"j"}"#)
        let fractional = try RayJobSubmission(submissionID: "j", arguments: ["true"], resources: WorkerResources(cpus: 0.25))
        #expect(fractional.json["entrypoint_num_cpus"] == .double(0.25))
    }

    @Test func impossibleResourcesAndEnvironmentsAreRefused() {
        let bad: [(WorkerResources, [String: String])] = [
            (WorkerResources(cpus: -1), [:]),
            (WorkerResources(cpus: .nan), [:]),
            (WorkerResources(memoryMB: -1), [:]),
            (WorkerResources(memoryMB: Int.max), [:]),
            (WorkerResources(custom: ["x": .infinity]), [:]),
            (WorkerResources(), ["": "x"]),
            (WorkerResources(), ["A=B": "x"]),
            (WorkerResources(), ["A": "x\u{0}"]),
        ]
        for id in ["", "a/b"] {
            #expect(throws: RuntimeError.self) { try RayJobSubmission(submissionID: id, arguments: ["true"], resources: WorkerResources()) }
        }
        for (resources, environment) in bad {
            let error = #expect(throws: RuntimeError.self) {
                try RayJobSubmission(submissionID: "j", arguments: ["true"], resources: resources, environment: environment)
            }
            #expect(error?.code == .invalidRequest)
        }
    }

    /// `GET /api/jobs/{id}` of Ray 2.60, trimmed.
    @Test func aJobsDetailsAreRead() throws {
        let json = try JSONParser.parse(#"""
            {"type": "SUBMISSION", "job_id": "02000000", "submission_id": "runtime-worker-1",
             "driver_info": {"id": "02000000", "node_ip_address": "127.0.0.1", "pid": "4242"},
             "status": "FAILED", "entrypoint": "exec sh -c 'exit 3'",
             "message": "Job entrypoint command failed with exit code 3. No logs available.",
             "error_type": "JOB_ENTRYPOINT_COMMAND_ERROR", "start_time": 1, "end_time": 2,
             "metadata": {"python_runtime_server": "s", "n": 3}, "runtime_env": {"env_vars": {}},
             "driver_agent_http_address": "http://127.0.0.1:52365",
             "driver_node_id": "a1b2", "driver_exit_code": 3}
            """#)
        let info = try #require(RayJobInfo(json: json))
        #expect(info == RayJobInfo(submissionID: "runtime-worker-1", status: .failed, entrypoint: "exec sh -c 'exit 3'",
                                   message: "Job entrypoint command failed with exit code 3. No logs available.",
                                   errorType: "JOB_ENTRYPOINT_COMMAND_ERROR", driverNodeID: "a1b2", driverExitCode: 3,
                                   metadata: ["python_runtime_server": "s"], endTime: 2))
        #expect(info.status.isTerminal)
        let pending = try #require(RayJobInfo(json: ["status": "PENDING", "driver_node_id": nil]))
        #expect(pending.driverNodeID == nil && !pending.status.isTerminal)
        #expect(RayJobInfo(json: ["submission_id": "x"]) == nil)
        #expect(!RayJobStatus(rawValue: "SOMETHING_NEW").isTerminal)
    }

    /// The record Ray 2.60 re-creates for a job deleted right after its end:
    /// ours by its id, ended, without metadata or entrypoint. Anything else is
    /// left alone by stopAll.
    @Test func aRemadeRecordIsToldApart() {
        let remade = RayJobInfo(submissionID: "runtime-worker-abc", status: .failed, entrypoint: "Entrypoint not found.")
        #expect(RayWorkerLauncher.isRemadeRecord(remade))
        var running = remade
        running.status = .running
        var someoneElses = remade
        someoneElses.submissionID = "raysubmit_123"
        var withMetadata = remade
        withMetadata.metadata = ["python_runtime_server": "s"]
        var realEntrypoint = remade
        realEntrypoint.entrypoint = "exec runtime-worker"
        for other in [running, someoneElses, withMetadata, realEntrypoint] {
            #expect(!RayWorkerLauncher.isRemadeRecord(other), "\(other)")
        }
    }

    /// An element of `GET /api/v0/nodes`' `data.result.result`, trimmed.
    @Test func aNodeIsRead() throws {
        let json = try JSONParser.parse(#"""
            {"node_id": "ff00", "node_ip": "127.0.0.1", "is_head_node": false, "state": "ALIVE",
             "state_message": null, "node_name": "127.0.0.1",
             "resources_total": {"CPU": 1.0, "memory": 1073741824.0, "node_b": 1.0, "node:127.0.0.1": 1.0},
             "labels": {"ray.io/node-id": "ff00"}}
            """#)
        let node = try #require(RayNode(json: json))
        #expect(node == RayNode(nodeID: "ff00", address: "127.0.0.1", isHead: false, state: "ALIVE",
                                resources: ["CPU": 1, "memory": 1_073_741_824, "node_b": 1, "node:127.0.0.1": 1],
                                labels: ["ray.io/node-id": "ff00"]))
        #expect(node.isAlive)
    }

    @Test func raysMessageIsFoundInAFailure() {
        let traceback = """
            Traceback (most recent call last):
              File "/x/job_head.py", line 410, in submit_job
                raise ValueError(...)
            ValueError: Job with submission_id runtime-worker-1 already exists. Please use a different submission_id.

            """
        #expect(RayJobsClient.rayMessage(Array(traceback.utf8))
            == "ValueError: Job with submission_id runtime-worker-1 already exists. Please use a different submission_id.")
        #expect(RayJobsClient.rayMessage(Array(#"{"result": false, "msg": "Unknown view x", "data": {}}"#.utf8))
            == "Unknown view x")
        #expect(RayJobsClient.rayMessage(Array("Job runtime-worker-9 does not exist\n".utf8))
            == "Job runtime-worker-9 does not exist")
        #expect(RayJobsClient.rayMessage([]) == "(no message)")
        #expect(RayJobsClient.rayMessage(Array(String(repeating: "x", count: 2_000).utf8)).count == 501)
    }

    @Test func idsAreEscapedInPaths() {
        #expect(RayJobsClient.pathSegment("runtime-worker-A_b.9~") == "runtime-worker-A_b.9~")
        #expect(RayJobsClient.pathSegment("a/b c?é") == "a%2Fb%20c%3F%C3%A9")
    }

    @Test func endsAreSaidAsARunsErrorSaysThem() {
        func reason(_ status: RayJobStatus, _ message: String?) -> String {
            RayJobMonitor.reason(id: "runtime-worker-1", info: RayJobInfo(submissionID: "runtime-worker-1", status: status,
                                                                           message: message))
        }
        #expect(reason(.failed, "Job entrypoint command failed with exit code 3. No logs available.\n")
            == "the Ray job runtime-worker-1 FAILED: Job entrypoint command failed with exit code 3. No logs available.")
        // Ray 2.60's message for a command that failed, Ray's own log lines and all.
        #expect(reason(.failed, """
            Job entrypoint command failed with exit code 127, last available logs (truncated to 20,000 chars):
            2026-12-01 18:18:05,056\tINFO job_manager.py:581 -- Runtime env is setting up.
            /bin/sh: 1: exec: /nonexistent/runtime-worker: not found
            Running entrypoint for job runtime-worker-1: exec /nonexistent/runtime-worker --connect 127.0.0.1:39245

            """) == """
            the Ray job runtime-worker-1 FAILED: Job entrypoint command failed with exit code 127. Its last output:
            /bin/sh: 1: exec: /nonexistent/runtime-worker: not found
            """)
        #expect(reason(.failed, """
            Job entrypoint command failed with exit code 1, last available logs (truncated to 20,000 chars):
            2026-12-01 18:18:05,056\tINFO job_manager.py:581 -- Runtime env is setting up.
            """) == "the Ray job runtime-worker-1 FAILED: Job entrypoint command failed with exit code 1.")
        #expect(reason(.failed, nil) == "the Ray job runtime-worker-1 FAILED")
        #expect(reason(.stopped, "Job was intentionally stopped.") == "the Ray job runtime-worker-1 was STOPPED")
        #expect(reason(.succeeded, nil) == "the Ray job runtime-worker-1 SUCCEEDED (its command exited with code 0)")
        let long = reason(.failed, "Job entrypoint command failed with exit code 1, last available logs (truncated to 20,000 chars):\n"
                          + String(repeating: "x", count: 30_000) + " the end")
        #expect(long.count < 1_650 && long.hasSuffix("x the end") && long.contains("exit code 1. Its last output:\n…x"))
        #expect(reason(.failed, String(repeating: "y", count: 5_000)).count < 2_100)
    }

    @Test func theDashboardAddressMustBeHTTP() async throws {
        for address in ["", "127.0.0.1:8265", "ftp://h:1", "http://"] {
            #expect(throws: RuntimeError.self) { try RayWorkerLauncher(dashboard: address, server: "s") }
        }
        let launcher = try RayWorkerLauncher(dashboard: "http://127.0.0.1:8265/", server: "s")
        #expect(launcher.client.address == "http://127.0.0.1:8265")
        let short = try RayWorkerLauncher(dashboard: "http://h", server: "s")
        #expect(short.client.address == "http://h")
        await short.shutdown()
        #expect(launcher.name == "ray")
        await launcher.shutdown()
        await launcher.shutdown()  // twice is harmless
        // Released without a shutdown: its own HTTP client must not trap.
        _ = try RayWorkerLauncher(dashboard: "http://127.0.0.1:1", server: "s")
    }
}
