import RuntimeCore

/// A job as `GET /api/jobs/{id}` (and each element of `GET /api/jobs/`)
/// describes it: the fields the Ray backend reads.
public struct RayJobInfo: Sendable, Equatable {
    /// `submission_id`: the id it was submitted with (nil for a job a driver
    /// script started without the Jobs API).
    public var submissionID: String?
    /// `status`.
    public var status: RayJobStatus
    /// `entrypoint`: the shell command line.
    public var entrypoint: String
    /// `message`: the status in more detail (for `FAILED`, the exit code and
    /// the end of the command's output).
    public var message: String?
    /// `error_type`: why a `FAILED` job failed (`JOB_ENTRYPOINT_COMMAND_ERROR`,
    /// `JOB_SUPERVISOR_ACTOR_START_TIMEOUT`, ...).
    public var errorType: String?
    /// `driver_node_id`: the node the command runs on, set from `RUNNING` on.
    public var driverNodeID: String?
    /// `driver_exit_code`: the command's exit code, once it exited by itself.
    public var driverExitCode: Int?
    /// `metadata`: the labels it was submitted with.
    public var metadata: [String: String]
    /// `end_time`: when it ended, in milliseconds since 1970 by the head
    /// node's clock (nil until it has).
    public var endTime: Int?

    /// A job's details.
    public init(submissionID: String?, status: RayJobStatus, entrypoint: String = "", message: String? = nil,
                errorType: String? = nil, driverNodeID: String? = nil, driverExitCode: Int? = nil,
                metadata: [String: String] = [:], endTime: Int? = nil) {
        self.submissionID = submissionID
        self.status = status
        self.entrypoint = entrypoint
        self.message = message
        self.errorType = errorType
        self.driverNodeID = driverNodeID
        self.driverExitCode = driverExitCode
        self.metadata = metadata
        self.endTime = endTime
    }

    /// Reads Ray's JSON; nil when it is not an object with a string `status`.
    /// Fields of another type than Ray documents read as absent.
    public init?(json: JSONValue) {
        guard let status = json["status"]?.stringValue else { return nil }
        var metadata: [String: String] = [:]
        for (key, value) in json["metadata"]?.objectValue ?? [] {
            if let text = value.stringValue { metadata[key] = text }
        }
        self.init(submissionID: json["submission_id"]?.stringValue, status: RayJobStatus(rawValue: status),
                  entrypoint: json["entrypoint"]?.stringValue ?? "", message: json["message"]?.stringValue,
                  errorType: json["error_type"]?.stringValue, driverNodeID: json["driver_node_id"]?.stringValue,
                  driverExitCode: json["driver_exit_code"]?.intValue, metadata: metadata,
                  endTime: json["end_time"]?.intValue)
    }
}
