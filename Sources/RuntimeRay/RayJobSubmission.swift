import RuntimeCore

/// What `POST /api/jobs/` submits: one command, the resources its node
/// must have, and its environment.
public struct RayJobSubmission: Sendable, Equatable {
    /// The job's `submission_id`: unique in the cluster, chosen by the caller.
    public var submissionID: String
    /// The shell command line Ray runs (see ``init(submissionID:arguments:resources:environment:metadata:)``
    /// to build it from arguments).
    public var entrypoint: String
    /// `entrypoint_num_cpus`: logical CPUs reserved for the command.
    public var cpus: Double?
    /// `entrypoint_memory`: bytes of memory reserved for the command.
    public var memoryBytes: Int?
    /// `entrypoint_resources`: custom resources reserved for the command
    /// (a node that has none of one never runs the job).
    public var resources: [String: Double]
    /// `runtime_env.env_vars`: environment variables of the command (Ray
    /// expands `$NAME` in their values).
    public var environment: [String: String]
    /// `metadata`: labels Ray keeps with the job (who submitted it).
    public var metadata: [String: String]

    /// A submission of `entrypoint` as it is.
    public init(submissionID: String, entrypoint: String, cpus: Double? = nil, memoryBytes: Int? = nil,
                resources: [String: Double] = [:], environment: [String: String] = [:],
                metadata: [String: String] = [:]) {
        self.submissionID = submissionID
        self.entrypoint = entrypoint
        self.cpus = cpus
        self.memoryBytes = memoryBytes
        self.resources = resources
        self.environment = environment
        self.metadata = metadata
    }

    /// A submission that runs `arguments` (executable first), each quoted for
    /// `/bin/sh`, on a node with `resources` (memory in MiB becomes bytes),
    /// with `environment` set for it.
    ///
    /// Ray expands `$NAME` and `${NAME}` in the values of `runtime_env.env_vars`
    /// (and drops an unset `${NAME}`), with no way to escape them; so a value
    /// with a `$` is set on the command line instead, exactly
    /// (`exec env 'NAME=VALUE' ARGUMENTS`), and every other one in `env_vars`.
    ///
    /// Throws `INVALID_REQUEST` for an empty submission id or one with a `/`
    /// (Ray names the job's log file after it: the submit fails, yet the job
    /// stays `PENDING` for good), no arguments, a NUL in one, a negative or
    /// non-finite amount, an environment variable name that is empty or
    /// holds `=` or a NUL, and an executable with `=` in its name when `env`
    /// must come before it.
    public init(submissionID: String, arguments: [String], resources: WorkerResources,
                environment: [String: String] = [:], metadata: [String: String] = [:]) throws(RuntimeError) {
        guard !submissionID.isEmpty, !submissionID.contains("/"), !submissionID.utf8.contains(0) else {
            throw RuntimeError(.invalidRequest,
                               "a Ray job's submission id must be non-empty without / or NUL, not \(ShellCommand.quote(submissionID))")
        }
        for (name, value) in environment {
            if name.isEmpty || name.contains("=") || name.utf8.contains(0) || value.utf8.contains(0) {
                throw RuntimeError(.invalidRequest, """
                    the environment variable \(ShellCommand.quote(name)) cannot be passed to a Ray job: \
                    a name must be non-empty without = or NUL, and a value without NUL
                    """)
            }
        }
        let onCommandLine = environment.filter { $0.value.contains("$") }.sorted { $0.key < $1.key }
        var command = arguments
        if !onCommandLine.isEmpty, let executable = arguments.first {
            guard !executable.contains("=") else {
                throw RuntimeError(.invalidRequest, "the executable \(ShellCommand.quote(executable)) cannot follow env: its name holds =")
            }
            command = ["env"] + onCommandLine.map { "\($0.key)=\($0.value)" } + arguments
        }
        let entrypoint = try ShellCommand.line(command)
        if let cpus = resources.cpus, !(cpus.isFinite && cpus >= 0) {
            throw RuntimeError(.invalidRequest, "a Ray job's CPUs must be a number of at least 0, not \(cpus)")
        }
        var memoryBytes: Int?
        if let megabytes = resources.memoryMB {
            let (bytes, overflow) = megabytes.multipliedReportingOverflow(by: 1 << 20)
            guard megabytes >= 0, !overflow else {
                throw RuntimeError(.invalidRequest,
                                   "a Ray job's memory must be at least 0 MiB and fit in 64 bits of bytes, not \(megabytes) MiB")
            }
            memoryBytes = bytes
        }
        if let (name, amount) = resources.custom.first(where: { !($0.value.isFinite && $0.value >= 0) }) {
            throw RuntimeError(.invalidRequest, "a Ray job's resource \(name) must be a number of at least 0, not \(amount)")
        }
        self.init(submissionID: submissionID, entrypoint: entrypoint, cpus: resources.cpus, memoryBytes: memoryBytes,
                  resources: resources.custom, environment: environment.filter { !$0.value.contains("$") },
                  metadata: metadata)
    }

    /// The request body, with the keys of each map sorted so it reads the same
    /// every time. Fields with nothing in them are left out (Ray's defaults:
    /// no CPUs, no memory, no custom resources reserved).
    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [("entrypoint", .string(entrypoint)), ("submission_id", .string(submissionID))]
        if let cpus { fields.append(("entrypoint_num_cpus", Self.number(cpus))) }
        if let memoryBytes { fields.append(("entrypoint_memory", .int(Int64(memoryBytes)))) }
        if !resources.isEmpty {
            fields.append(("entrypoint_resources", .object(resources.sorted { $0.key < $1.key }.map { ($0.key, Self.number($0.value)) })))
        }
        if !environment.isEmpty {
            fields.append(("runtime_env", .object([("env_vars", Self.strings(environment))])))
        }
        if !metadata.isEmpty { fields.append(("metadata", Self.strings(metadata))) }
        return .object(fields)
    }

    /// A whole number as an integer (`1`, not `1.0`), anything else as a double.
    private static func number(_ value: Double) -> JSONValue {
        if value.rounded() == value, abs(value) < 9.0e15 { return .int(Int64(value)) }
        return .double(value)
    }

    private static func strings(_ map: [String: String]) -> JSONValue {
        .object(map.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })
    }
}
