import Foundation

/// The machine's CPU time by kind, from `/proc/stat`'s first line, to say how
/// much of a run's time the hypervisor took from this VM's vCPUs ("steal":
/// time a vCPU was ready to run but the host ran something else). On the
/// 2-vCPU VMs these figures come from it was 1 % at rest and 26–30 % under a
/// benchmark's load, and latencies move with it.
struct CPUTimes {
    /// Ticks (USER_HZ) that were stolen, idle (with iowait), and all ticks.
    var steal: UInt64
    var idle: UInt64
    var total: UInt64

    /// Now; nil where `/proc/stat` cannot be read (not Linux).
    static func now() -> CPUTimes? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first, line.hasPrefix("cpu ")
        else { return nil }
        // user nice system idle iowait irq softirq steal guest guest_nice; guest time is inside user.
        let fields = line.split(separator: " ").dropFirst().prefix(8).compactMap { UInt64($0) }
        guard fields.count == 8 else { return nil }
        return CPUTimes(steal: fields[7], idle: fields[3] + fields[4], total: fields.reduce(0, +))
    }

    /// How much was stolen from `earlier` to `self`, as text: the share of
    /// all vCPU time, and of the time the vCPUs had work (all but idle), which
    /// is the share a benchmark's processes waited for the host.
    func stolenSince(_ earlier: CPUTimes?) -> String {
        guard let earlier, total > earlier.total else { return "unknown" }
        let stolen = Double(steal - earlier.steal)
        let all = Double(total - earlier.total)
        let busy = all - Double(idle - earlier.idle)
        return String(format: "%.1f %% of all vCPU time, %.1f %% of the time with work", 100 * stolen / all,
                      busy > 0 ? 100 * stolen / busy : 0)
    }
}
