import RuntimeJSON

/// A `get` request frame, checked field by field before anything is looked up:
/// `{"op": "get", "rid": N, "name": S, "window"?: {"begin": B, "size": Z},
/// "maxRows"?: M, "deadlineMs"?: D, "exact"?: bool, "format"?: "json" | "jsonpickle",
/// "displayBytes"?: N, "keep"?: bool}`.
///
/// Every count is a non-negative integer; a negative one, or one of the wrong
/// type, is refused with `INVALID_REQUEST` naming the field. Integers too
/// large for 64 bits saturate (a window that starts past any table is simply
/// empty). Row ranges are computed without overflow (see ``rows(total:)``).
package struct WorkerReadRequest: Sendable, Hashable {
    /// The rows asked for: `begin ..< begin + size`, before clamping to the table.
    package struct Window: Sendable, Hashable {
        package var begin: Int
        package var size: Int

        package init(begin: Int, size: Int) {
            self.begin = begin
            self.size = size
        }
    }

    /// The rows sent when no window is given.
    package static let defaultMaxRows = 1000

    package var name: String
    package var window: Window?
    package var maxRows: Int
    /// The read's time cap in milliseconds, or nil for none.
    package var deadlineMilliseconds: Int?
    /// Non-finite floats spelled `"NaN"`, `"Infinity"`, `"-Infinity"` everywhere.
    package var exact = false
    /// `"json"` (the contract's encoding) or `"jsonpickle"` (the original server's).
    package var format = "json"
    /// The bytes a `display` bundle may hold; 0 sends none.
    package var displayBytes = 0
    /// The runtime may keep the reply: the worker says whether the value is
    /// ``EncodedValue/stable`` and whether the read ran code of the program.
    package var keep = false

    /// The formats a `get` may ask for.
    package static let formats = ["json", "jsonpickle"]

    package init(name: String, window: Window? = nil, maxRows: Int = WorkerReadRequest.defaultMaxRows, deadlineMilliseconds: Int? = nil) {
        self.name = name
        self.window = window
        self.maxRows = maxRows
        self.deadlineMilliseconds = deadlineMilliseconds
    }

    /// Reads and checks the fields of a `get` frame.
    package init(frame: JSONValue) throws(RuntimeError) {
        guard let name = frame["name"]?.stringValue else {
            throw RuntimeError(.invalidRequest, "name is required and must be a string")
        }
        self.name = name
        maxRows = try Self.count(frame["maxRows"], field: "maxRows") ?? Self.defaultMaxRows
        switch frame["window"] {
        case nil, .null?:
            window = nil
        case .object?:
            let begin = try Self.count(frame["window"]?["begin"], field: "window.begin") ?? 0
            let size = try Self.count(frame["window"]?["size"], field: "window.size") ?? maxRows
            window = Window(begin: begin, size: size)
        case let other?:
            throw RuntimeError(.invalidRequest, "window must be an object, not \(other.kindName)")
        }
        if let deadline = try Self.count(frame["deadlineMs"], field: "deadlineMs") {
            guard deadline > 0 else {
                throw RuntimeError(.invalidRequest, "deadlineMs must be a positive number of milliseconds")
            }
            deadlineMilliseconds = deadline
        } else {
            deadlineMilliseconds = nil
        }
        switch frame["exact"] {
        case nil, .null?: break
        case .bool(let flag)?: exact = flag
        case let other?: throw RuntimeError(.invalidRequest, "exact must be a boolean, not \(other.kindName)")
        }
        switch frame["format"] {
        case nil, .null?: break
        case .string(let name)? where Self.formats.contains(name): format = name
        case let other?:
            throw RuntimeError(.invalidRequest, "format must be \"json\" or \"jsonpickle\", not \(other.jsonString)")
        }
        displayBytes = try Self.count(frame["displayBytes"], field: "displayBytes") ?? 0
        switch frame["keep"] {
        case nil, .null?: keep = false
        case .bool(let flag)?: keep = flag
        case let other?: throw RuntimeError(.invalidRequest, "keep must be a boolean, not \(other.kindName)")
        }
    }

    /// The rows to send of a table of `total` rows: the window clamped to the
    /// table (empty when it starts past the end), or the first `maxRows`.
    /// Never overflows, whatever the window.
    package func rows(total: Int) -> Range<Int> {
        let total = max(0, total)
        guard let window else { return 0..<min(total, maxRows) }
        let begin = min(window.begin, total)
        let (end, overflow) = begin.addingReportingOverflow(window.size)
        return begin..<(overflow ? total : min(end, total))
    }

    /// A non-negative integer field, nil when absent or null.
    private static func count(_ value: JSONValue?, field: String) throws(RuntimeError) -> Int? {
        switch value {
        case nil, .null?:
            return nil
        case .int(let i)?:
            guard i >= 0 else { throw negative(field, "\(i)") }
            return Int(clamping: i)
        case .bigInt(let digits)?:
            guard !digits.hasPrefix("-") else { throw negative(field, digits) }
            return Int.max
        case .double(let d)?:
            guard d.isFinite, d.rounded() == d else {
                throw RuntimeError(.invalidRequest, "\(field) must be an integer, not \(d)")
            }
            guard d >= 0 else { throw negative(field, "\(d)") }
            return d >= 9.2e18 ? Int.max : Int(d)
        case let other?:
            throw RuntimeError(.invalidRequest, "\(field) must be a non-negative integer, not \(other.kindName)")
        }
    }

    private static func negative(_ field: String, _ value: String) -> RuntimeError {
        RuntimeError(.invalidRequest, "\(field) must not be negative (got \(value))")
    }
}

extension WorkerReadRequest {
    /// The frame's fields after `op` and `rid`: only those that differ from
    /// the defaults the worker assumes.
    package var frameFields: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [("name", .string(name)), ("maxRows", .int(Int64(clamping: maxRows)))]
        if let window {
            fields.append(("window", ["begin": .int(Int64(clamping: window.begin)), "size": .int(Int64(clamping: window.size))]))
        }
        if let deadlineMilliseconds { fields.append(("deadlineMs", .int(Int64(clamping: deadlineMilliseconds)))) }
        if exact { fields.append(("exact", true)) }
        if format != "json" { fields.append(("format", .string(format))) }
        if displayBytes > 0 { fields.append(("displayBytes", .int(Int64(clamping: displayBytes)))) }
        if keep { fields.append(("keep", true)) }
        return fields
    }

    /// Whole milliseconds, rounded up, between 1 and Int.max: how a read's
    /// time cap travels.
    package static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 || seconds > 0 else { return 1 }
        let perMillisecond: Int64 = 1_000_000_000_000_000
        let fraction = attoseconds / perMillisecond + (attoseconds % perMillisecond > 0 ? 1 : 0)
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        let (total, late) = whole.addingReportingOverflow(fraction)
        return overflow || late ? Int.max : Int(clamping: max(1, total))
    }
}
