import Glibc

/// How the server process's allocator treats large reply buffers.
///
/// A large reply (a 1 MiB table) is written into fresh buffers: by default
/// glibc maps every block over 128 KiB on its own and unmaps it when freed,
/// so each reply pays a page fault per 4 KiB twice over (its text and the
/// socket's copy), which cost more than the copies themselves in the wire
/// benchmark. ``keepLargeBuffers()`` makes such blocks come from the heap and
/// stay mapped once freed, up to a bound, so the next reply reuses them.
public enum LargeReplyMemory {
    /// Blocks up to this size come from the heap (glibc's largest).
    public static let heapBlockLimit: Int32 = 32 << 20
    /// Free memory kept mapped at the top of a heap (glibc has one per arena,
    /// at most eight per core) before it is returned.
    public static let keptFreeBytes: Int32 = 32 << 20

    /// Applies the settings to this process; call once, early, from the
    /// executable. Returns false where the C library has no `mallopt` (not glibc).
    @discardableResult
    public static func keepLargeBuffers() -> Bool {
        // <malloc.h> is not part of the Glibc module: looked up by name.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let mmapThreshold: Int32 = -3, trimThreshold: Int32 = -1  // M_MMAP_THRESHOLD, M_TRIM_THRESHOLD
        return mallopt(mmapThreshold, heapBlockLimit) == 1 && mallopt(trimThreshold, keptFreeBytes) == 1
    }
}
