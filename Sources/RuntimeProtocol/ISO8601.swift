import RuntimeCore
import Foundation

extension Date {
    /// ISO 8601 in UTC with milliseconds, e.g. `2026-11-29T05:16:22.123Z`.
    public var iso8601: String {
        self.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }
}
