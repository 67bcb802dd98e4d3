/// What one session's worker needs from the node it is placed on: the
/// `resources` of a `run` request, or a remote backend's defaults.
///
/// The local backend cannot honour these (its workers all run on the
/// server's machine), so it refuses a run that names any.
public struct WorkerResources: Sendable, Equatable, Hashable {
    /// Logical CPUs (may be fractional, as in Ray).
    public var cpus: Double?
    /// Memory in MiB (mebibytes).
    public var memoryMB: Int?
    /// Custom resources by name (Ray's `resources`, e.g. `["gpu_node": 1]`).
    public var custom: [String: Double]

    /// Resources; every field left out asks for nothing in particular.
    public init(cpus: Double? = nil, memoryMB: Int? = nil, custom: [String: Double] = [:]) {
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.custom = custom
    }

    /// Whether nothing at all is asked for.
    public var isEmpty: Bool { cpus == nil && memoryMB == nil && custom.isEmpty }

    /// These resources, with each field left out taken from `defaults`.
    public func merged(over defaults: WorkerResources) -> WorkerResources {
        WorkerResources(cpus: cpus ?? defaults.cpus, memoryMB: memoryMB ?? defaults.memoryMB,
                        custom: defaults.custom.merging(custom) { _, own in own })
    }
}
