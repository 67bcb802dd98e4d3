// libFuzzer target: RuntimeService's request parser (`RequestParser.parse`).
//
// Built by scripts/fuzz.sh from the real project files only: a `RuntimeCore`
// module of the files the parser needs (JSON/*, Session/Program, ProgramError,
// RuntimeError, Placeholder, Session, SessionStatus, SessionEvent), then this
// file with Protocol/RequestParser.swift and Protocol/WireRequest.swift. No
// NIO, no Hummingbird.
//
// For every input, read as a WebSocket text frame would be (UTF-8, invalid
// sequences replaced):
//   - the parser answers `.success` or `.failure`; it never traps;
//   - a success names one of the protocol's actions and carries the request
//     for that action; counts and windows are never negative; the `id` is a scalar;
//   - a failure has one of the codes the parser may give, and its wire
//     message encodes to JSON that parses back as `{"type": "[error]:CODE", ...}`;
//   - parsing the same input twice gives the same answer.
// Anything else stops the run with `fatalError` (a crash for libFuzzer).

import RuntimeCore

/// The codes `RequestParser` may answer with (protocol.md, "Errors"); the
/// rest (SESSION_NOT_FOUND, LIMIT_EXCEEDED, ...) come later, from the runtime.
private let parserCodes: Set<String> = ["INVALID_JSON", "UNKNOWN_ACTION", "INVALID_REQUEST", "INVALID_FILENAME"]

@_cdecl("LLVMFuzzerTestOneInput")
public func requestParserFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes: [UInt8] = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let text = String(decoding: bytes, as: UTF8.self)
    let result = RequestParser.parse(text)
    guard result == RequestParser.parse(text) else { fatalError("parsing the same text twice gave two answers") }

    switch result {
    case .success(let envelope):
        check(envelope)
    case .failure(let error):
        check(error)
    }
    return 0
}

private func check(_ envelope: Envelope) {
    guard WireRequest.actions.contains(envelope.action) else { fatalError("accepted an unknown action '\(envelope.action)'") }
    if let id = envelope.id {
        switch id {
        case .array, .object: fatalError("accepted a non-scalar id \(id)")
        default: break
        }
    }
    let expected: String
    switch envelope.request {
    case .run(let files, let mainFile, let number):
        expected = "run"
        if files.contains(where: { $0.filename.isEmpty }) || mainFile.isEmpty { fatalError("accepted an empty filename") }
        if let number, number < 0 { fatalError("accepted a negative python.number") }
    case .getPlaceholder(_, _, let window, _):
        expected = "get_placeholder"
        if let window, window.begin < 0 || window.size < 0 { fatalError("accepted a negative window \(window)") }
    case .runModel(_, _, let isData, let data, _):
        expected = "run_model"
        if !isData, data.stringValue == nil { fatalError("accepted a file model input that is not a path") }
    case .getStats: expected = "get_stats"
    case .status: expected = "status"
    case .stop: expected = "stop"
    case .listSessions: expected = "list_sessions"
    case .deleteSession: expected = "delete_session"
    case .subscribe(_, let since):
        expected = "subscribe"
        if let since, since < 0 { fatalError("accepted a negative since") }
    }
    guard expected == envelope.action else { fatalError("action '\(envelope.action)' gave a \(expected) request") }
}

private func check(_ error: ProtocolError) {
    guard parserCodes.contains(error.code) else { fatalError("unexpected error code \(error.code)") }
    guard !error.message.isEmpty else { fatalError("an error without a message") }
    let wire = error.wireMessage.jsonString
    let reread: JSONValue
    do {
        reread = try JSONParser.parse(wire)
    } catch {
        fatalError("the error reply is not JSON: \(error); text: \(wire)")
    }
    guard reread["type"]?.stringValue == "[error]:\(error.code)",
        reread["error"]?["code"]?.stringValue == error.code
    else {
        fatalError("the error reply does not carry its code: \(wire)")
    }
}
