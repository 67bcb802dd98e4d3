// libFuzzer target `request`: RuntimeProtocol's request parser,
// `RequestParser.parse(bytes:)`, on whatever bytes a client's WebSocket
// message holds (text and binary messages both reach it unchanged).
//
// Built by scripts/fuzz.sh as the `request` executable of Fuzz/Package.swift,
// which depends on the project package by path and links its RuntimeProtocol
// product (and so RuntimeCore with its package dependencies), all compiled
// with the sanitizer flags. Only public API is used.
//
// For every input:
//   - the parser answers `.success` or `.failure`; it never traps;
//   - parsing the same bytes twice gives the same answer;
//   - a success names one of the protocol's actions and carries the request
//     for that action; counts and windows are never negative; the `id` is a
//     scalar; `WireRequest.message(id:)` of it parses back to the same request;
//   - `run_model` with inline data: the `ModelInput.inline` fragment (the
//     client's own bytes of `model.data`, cut with
//     `JSONValidator.range(ofMemberAt:in:)`, or the value encoded again) is
//     valid JSON and parses to the same value as `model.data` of the parsed
//     message, kind for kind and scalar for scalar;
//   - a failure has one of the codes the parser may give, and its wire
//     message encodes to JSON that parses back as `{"type": "[error]:CODE", ...}`.
// Anything else stops the run with `fatalError` (a crash for libFuzzer).

import RuntimeCore  // RuntimeJSON and WorkerFrames, re-exported
import LibFuzzer
import RuntimeProtocol

/// The codes `RequestParser` may answer with (protocol.md, "Errors"); the
/// rest (SESSION_NOT_FOUND, LIMIT_EXCEEDED, ...) come later, from the runtime.
private let parserCodes: Set<RuntimeError.Code> = [.invalidJSON, .unknownAction, .invalidRequest, .invalidFilename]

@_cdecl("LLVMFuzzerTestOneInput")
public func requestParserFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes: [UInt8] = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let result = RequestParser.parse(bytes: bytes)
    guard same(result, RequestParser.parse(bytes: bytes)) else { fatalError("parsing the same bytes twice gave two answers") }

    switch result {
    case .success(let envelope):
        check(envelope, bytes: bytes)
    case .failure(let error):
        check(error)
    }
    return 0
}

private func same(_ a: Result<Envelope, ProtocolError>, _ b: Result<Envelope, ProtocolError>) -> Bool {
    switch (a, b) {
    case let (.success(x), .success(y)): return x == y
    case let (.failure(x), .failure(y)): return x.code == y.code && x.message == y.message && x.action == y.action && x.id == y.id
    default: return false
    }
}

private func check(_ envelope: Envelope, bytes: [UInt8]) {
    guard WireRequest.actions.contains(envelope.action) else { fatalError("accepted an unknown action '\(envelope.action)'") }
    if let id = envelope.id {
        switch id {
        case .array, .object: fatalError("accepted a non-scalar id \(id)")
        default: break
        }
    }
    guard envelope.request.action.rawValue == envelope.action else {
        fatalError("action '\(envelope.action)' gave a \(envelope.request.action.rawValue) request")
    }
    switch envelope.request {
    case .run(let files, let mainFile, let number, let resources):
        if files.contains(where: { $0.filename.isEmpty }) || mainFile.isEmpty { fatalError("accepted an empty filename") }
        if let number, number < 0 { fatalError("accepted a negative python.number") }
        if let resources {
            let amounts = [resources.cpus, resources.memoryMB.map(Double.init)].compactMap { $0 } + Array(resources.custom.values)
            if amounts.contains(where: { !($0 > 0) || !$0.isFinite }) { fatalError("accepted resources \(resources)") }
            if resources.custom.keys.contains(where: \.isEmpty) || resources.custom.count > 64 { fatalError("accepted custom resources \(resources)") }
        }
    case .getPlaceholder(_, _, let window, _):
        if let window, window.begin < 0 || window.size < 0 || window.begin.addingReportingOverflow(window.size).overflow {
            fatalError("accepted a bad window \(window)")
        }
    case .runModel(_, _, let input, _):
        check(input, bytes: bytes)
    case .subscribe(_, let since):
        if let since, since < 0 { fatalError("accepted a negative since") }
    case .getStats, .status, .stop, .listSessions, .deleteSession:
        break
    }

    // The client side writes the request back; the server must read the same request.
    let message = envelope.request.message(id: envelope.id)
    switch RequestParser.parse(bytes: message.jsonBytes) {
    case .success(let again):
        guard sameRequest(again.request, envelope.request), again.action == envelope.action, again.id == envelope.id else {
            fatalError("message(id:) of a parsed request reads back as another request: \(message.jsonString)")
        }
    case .failure(let error):
        fatalError("message(id:) of a parsed request is refused (\(error.code): \(error.message)): \(message.jsonString)")
    }
}

/// Equal requests, inline model data compared by value (its bytes are the
/// client's, spaces and all, and `message(id:)` encodes the value anew).
private func sameRequest(_ a: WireRequest, _ b: WireRequest) -> Bool {
    guard case let .runModel(sessionA, nameA, inputA, methodA) = a, case let .runModel(sessionB, nameB, inputB, methodB) = b,
          case .inline(let dataA) = inputA, case .inline(let dataB) = inputB
    else { return a == b }
    guard let valueA = try? dataA.decoded(), let valueB = try? dataB.decoded() else { return false }
    return sessionA == sessionB && nameA == nameB && methodA == methodB && identical(valueA, valueB)
}

/// The inline fragment is `model.data`: valid JSON, and the same value.
private func check(_ input: ModelInput, bytes: [UInt8]) {
    guard case .inline(let fragment) = input else { return }
    guard let document = try? JSONParser.parse(bytes), let data = document["model"]?["data"] else {
        fatalError("an inline model input from a message without model.data")
    }
    guard JSONValidator.isValid(fragment.bytes) else {
        fatalError("the inline model data is not valid JSON: \(fragment)")
    }
    let decoded: JSONValue
    do {
        decoded = try fragment.decoded()
    } catch {
        fatalError("the inline model data does not parse (\(error)): \(fragment)")
    }
    guard identical(decoded, data) else {
        fatalError("the inline model data \(fragment) is not model.data \(data.jsonString)")
    }
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
    guard reread["type"]?.stringValue == MessageType.error(error.code),
        reread["error"]?["code"]?.stringValue == error.code.rawValue,
        reread.errorCode == error.code
    else {
        fatalError("the error reply does not carry its code: \(wire)")
    }
}

/// Stricter than `JSONValue.==` (which calls `1` and `1.0` equal and compares
/// strings by canonical equivalence): kind for kind, scalar for scalar.
private func identical(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case let (.bool(x), .bool(y)): return x == y
    case let (.int(x), .int(y)): return x == y
    case let (.bigInt(x), .bigInt(y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
    case let (.double(x), .double(y)): return x == y || (x.isNaN && y.isNaN)
    case let (.string(x), .string(y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
    case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { identical($0, $1) }
    case let (.object(x), .object(y)):
        return x.count == y.count
            && zip(x, y).allSatisfy { $0.0.unicodeScalars.elementsEqual($1.0.unicodeScalars) && identical($0.1, $1.1) }
    default: return false
    }
}

/// The entry point: SwiftPM links an executable target with
/// `--defsym main=request_main` (its module's renamed `main`), so this
/// module brings one that runs libFuzzer. (Were `main` left alone, libFuzzer's
/// own would be used and this one not at all.)
@_cdecl("request_main")
public func requestMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in requestParserFuzzOneInput(data, size) }
}
