import RuntimeJSON
import RuntimeProtocol
import RuntimeService
import Synchronization
import Testing

/// A reply is written by the task that served it only when nothing waits
/// before it; nothing ever overtakes a message sent earlier.
@Suite
struct ConnectionWriterTests {
    final class Recorder: Sendable {
        let messages = Mutex<[String]>([])
        func write(_ message: WireMessage) { messages.withLock { $0.append(String(decoding: message.bytes, as: UTF8.self)) } }
        var written: [String] { messages.withLock { $0 } }
    }

    @Test func repliesNeverOvertakeQueuedMessages() async {
        let recorder = Recorder()
        let connection = Connection(id: 1, writer: { recorder.write($0) })
        await connection.reply(WireMessage("a"))
        #expect(recorder.written == [#""a""#])  // nothing waited: written by the caller
        connection.send(WireMessage("b"))       // queued for the writer, which is not running yet
        await connection.reply(WireMessage("c"))
        #expect(recorder.written == [#""a""#])  // behind "b": queued too
        let writer = Task { await connection.drain() }
        connection.close()
        await writer.value
        #expect(recorder.written == [#""a""#, #""b""#, #""c""#])
        #expect(connection.queuedBytes == 0)
    }

    @Test func aReplyWaitsForTheWriterWhenTheSocketIsFull() async {
        let recorder = Recorder()
        let connection = Connection(id: 2, writer: { recorder.write($0) }, canWriteNow: { false })
        await connection.reply(WireMessage("a"))
        #expect(recorder.written.isEmpty)
        let writer = Task { await connection.drain() }
        connection.close()
        await writer.value
        #expect(recorder.written == [#""a""#])
    }

    @Test func aFailedWriteDropsWhatFollows() async {
        struct Gone: Error {}
        let recorder = Recorder()
        let connection = Connection(id: 3, writer: { message in
            recorder.write(message)
            throw Gone()
        })
        await connection.reply(WireMessage("a"))
        connection.send(WireMessage("b"))
        let writer = Task { await connection.drain() }
        connection.close()
        await writer.value
        #expect(recorder.written == [#""a""#])
        #expect(connection.queuedBytes == 0)
    }
}
