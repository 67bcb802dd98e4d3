import CSandbox
import Foundation
import Glibc
import Synchronization
import RuntimeJSON
import WorkerFrames

/// The reader thread of a worker: its frames, its raw output and its end.
extension WorkerProcess {
    /// The reader thread: decodes frames and forwards raw output until the
    /// worker's end, then reaps it. A frame that breaks the protocol ends the
    /// worker: nothing it sends is trusted. `replies` is the reply pipe when
    /// this thread reads it (else -1).
    func readFrames(from fd: Int32, replies: Int32, output: Int32, errors: Int32) {
        var streams = output < 0 ? [] : [RawOutputStream(fd: output, name: "stdout"), RawOutputStream(fd: errors, name: "stderr")]
        // The process's end is learnt from a pidfd, not from the pipes: a
        // process that kept a copy of them could otherwise hold the reaping up.
        // A remote worker's end is its connection's.
        let ended = remote == nil ? sandbox_pidfd_open(pid) : -1
        var framesOpen = true
        var processEnded = false
        var repliesOpen = replies >= 0
        var cut = false
        while framesOpen {
            var polled = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                          pollfd(fd: ended, events: Int16(POLLIN), revents: 0)]
            polled += streams.map { pollfd(fd: $0.isOpen ? $0.fd : -1, events: Int16(POLLIN), revents: 0) }
            polled.append(pollfd(fd: repliesOpen ? replies : -1, events: Int16(POLLIN), revents: 0))
            // Once the process has ended, take only what is already written.
            if poll(&polled, nfds_t(polled.count), processEnded ? 0 : -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            // Output first: what the program wrote before a frame was sent is
            // reported before that frame (a run's end comes after its output).
            for index in streams.indices where polled[index + 2].revents != 0 {
                forward(streams[index].read())
            }
            if polled[1].revents != 0 { processEnded = true }
            if polled[polled.count - 1].revents != 0 {
                switch readReply(from: replies) {
                case .read: break
                case .ended: repliesOpen = false
                case .violation(let problem):
                    cutOff(problem)
                    cut = true
                    repliesOpen = false
                    framesOpen = false
                    continue
                }
            }
            guard polled[0].revents != 0 else {
                if processEnded && (!repliesOpen || polled[polled.count - 1].revents == 0) { break }
                continue
            }
            do {
                guard let (header, parts) = try FrameIO.readMessage(from: fd, maximumSize: maximumFrameBytes,
                                                                         maximumHeaderSize: FrameProtocol.maximumWorkerHeaderBytes) else {
                    break  // the worker has ended
                }
                switch WorkerMessage.decode(header, parts: parts) {
                case .success(let message):
                    // Output written before an event is reported before it;
                    // a reply is not an event, and is not held up by a look.
                    if case .reply = message {} else { drain(&streams) }
                    if let problem = dispatch(message) { cutOff(problem); cut = true; framesOpen = false }
                case .failure(let violation):
                    drain(&streams)
                    cutOff(violation.description)
                    cut = true
                    framesOpen = false
                }
            } catch {
                cutOff(error.description)
                cut = true
                framesOpen = false
            }
        }
        drain(&streams)
        // Replies the worker wrote just before its end may still be in their pipe.
        if repliesOpen && !cut { drainReplies(replies, graceMilliseconds: 250) }
        state.withLock { $0.framesClosed = true }
        if replies >= 0 { close(replies) }
        let replyChannel = state.withLock { state -> ReplyChannel in
            defer { state.replies = .closed }
            return state.replies
        }
        switch replyChannel {
        case .waiting(let unread, _): close(unread)
        case .reading(let reading): reading.finish(grace: .milliseconds(250))
        case .sameAsFrames, .readerThread, .starting, .closed: break
        }
        for stream in streams { close(stream.fd) }
        let exit: WorkerExit
        if let remote {
            exit = .disconnected(reason: remoteEndReason(remote))
            // Ended and closed at once: a shutdown is never sent to a reused number.
            state.withLock { state in
                state.ended = true
                close(fd)
            }
        } else {
            close(fd)
            if ended >= 0 { close(ended) }
            // Wait for the end without reaping, mark it, then reap: a signal is
            // never sent to a pid that could have been reused.
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
            state.withLock { $0.ended = true }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            exit = WorkerExit(waitStatus: status)
        }
        let kills = cgroup?.memoryKills() ?? 0
        state.withLock { $0.memoryKills = kills }
        cgroup?.remove()
        closeRequests()
        let pending = state.withLock { state -> [CheckedContinuation<WorkerReply, any Error>] in
            state.exit = exit
            let waiting = Array(state.pending.values)
            state.pending = [:]
            state.abandoned = []
            stopDeadlines(&state)
            return waiting
        }
        for waiter in pending { waiter.resume(throwing: Failure(description: "the worker process \(exit)")) }
        hello.fulfil(.failure(Failure(description: "the worker process \(exit) before it was ready")))
        exitPromise.fulfil(exit)
        continuation.yield(.exited(exit))
        continuation.finish()
    }

    private enum ReplyRead { case read, ended, violation(String) }

    /// Reads one message from the reply channel (this thread reads the
    /// replies), of at most ``FrameProtocol/maximumPipedReplyBytes``.
    private func readReply(from fd: Int32) -> ReplyRead {
        let limit = FrameProtocol.maximumPipedReplyBytes
        do {
            guard let (header, parts) = try FrameIO.readMessage(from: fd, maximumMessageSize: limit) else {
                return .ended
            }
            return receiveReply(header: header, parts: parts).map { .violation($0) } ?? .read
        } catch {
            return .violation(error.description)
        }
    }

    /// After the frame pipe's end, reads the replies still in their pipe:
    /// until its end, or `graceMilliseconds` without one (a process of the
    /// session still holds the pipe).
    private func drainReplies(_ fd: Int32, graceMilliseconds: Int32) {
        while true {
            var probe = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&probe, 1, graceMilliseconds)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return }
            switch readReply(from: fd) {
            case .read: continue
            case .ended: return
            case .violation(let problem):
                cutOff(problem)
                return
            }
        }
    }

    /// Reads whatever raw output is waiting, without blocking.
    private func drain(_ streams: inout [RawOutputStream]) {
        for index in streams.indices {
            while streams[index].isOpen {
                var probe = pollfd(fd: streams[index].fd, events: Int16(POLLIN), revents: 0)
                guard poll(&probe, 1, 0) > 0 else { break }
                let chunk = streams[index].read()
                forward(chunk)
                if chunk == nil { break }
            }
        }
    }

    private func forward(_ chunk: (stream: String, text: String)?) {
        guard let chunk, !chunk.text.isEmpty else { return }
        if state.withLock({ $0.attached }) {
            continuation.yield(.output(stream: chunk.stream == "stderr" ? .stderr : .stdout, text: chunk.text, truncated: false))
        }
    }

    /// Handles one message; returns what is wrong with it, if anything.
    private func dispatch(_ message: WorkerMessage) -> String? {
        switch message {
        case .reply(let rid, let reply):
            // A remote worker's (its one connection carries everything), or
            // a local worker's too large for its reply pipe.
            return deliver(reply, rid: rid)
        case .hello(let greeting):
            guard !hello.isFulfilled else { return "a second hello" }
            guard greeting.version == FrameProtocol.version else {
                hello.fulfil(.failure(Failure(description: """
                    the worker binary speaks frame protocol \(greeting.version) but this runtime speaks \
                    frame protocol \(FrameProtocol.version): use the runtime-worker built with this runtime
                    """)))
                return "a worker of another frame protocol (\(greeting.version))"
            }
            hello.fulfil(.success(greeting))
        case .fatal(let reason):
            guard !hello.isFulfilled else { return "a fatal frame after the hello" }
            hello.fulfil(.failure(Failure(description: reason)))
        case .ready(let name, let type):
            continuation.yield(.placeholderReady(name: name, valueType: type))
        case .output(let stream, let text, let truncated):
            let withinCap = state.withLock { state in
                state.frameOutputAllowance -= text.utf8.count
                return state.frameOutputAllowance >= 0
            }
            guard withinCap else { return "output frames past the run's output cap" }
            continuation.yield(.output(stream: stream, text: text, truncated: truncated))
        case .warning(let text):
            let first = state.withLock { state -> Bool in
                defer { state.warned = true }
                return !state.warned
            }
            guard first else { return "more than one warning" }
            continuation.yield(.warning(text))
        case .finished:
            continuation.yield(.finished)
        case .failed(let error):
            continuation.yield(.failed(error))
        case .memoryExceeded(let limit, let resident):
            guard remote != nil else { return "a memory frame from a local worker" }
            continuation.yield(.limitReached(
                "the session passed its memory limit of \(limit >> 20) MiB (resident \(resident >> 20) MiB) and was killed"))
        }
        return nil
    }
}
