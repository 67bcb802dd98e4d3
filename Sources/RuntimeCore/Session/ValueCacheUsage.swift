/// What the runtime keeps of values read after their session's run ended
/// (``RuntimeConfiguration/valueCacheBytes``), and how often it served them.
public struct ValueCacheUsage: Sendable, Equatable {
    /// Bytes of encoded values kept now.
    public var bytes: Int
    /// Values kept now.
    public var values: Int
    /// Reads answered from what was kept, since the runtime started.
    public var hits: Int
    /// Reads that went to a worker instead, since the runtime started (none
    /// are counted when nothing may be kept).
    public var misses: Int

    /// Usage figures, as ``Runtime/valueCacheUsage`` reports them.
    public init(bytes: Int, values: Int, hits: Int, misses: Int) {
        self.bytes = bytes
        self.values = values
        self.hits = hits
        self.misses = misses
    }
}
