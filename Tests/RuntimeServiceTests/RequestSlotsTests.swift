@testable import RuntimeService
import Testing

/// The bound on one connection's requests in progress (``RequestSlots``).
@Suite(.timeLimit(.minutes(1)))
struct RequestSlotsTests {
    @Test func theReadingWaitsAtTheBoundUntilARequestEnds() async {
        let slots = RequestSlots(maximumRequests: 2, maximumBytes: 1000)
        #expect(await slots.acquire(bytes: 10))
        #expect(await slots.acquire(bytes: 10))
        let third = Task { await slots.acquire(bytes: 10) }
        while !slots.hasWaiter { await Task.yield() }
        #expect(slots.inProgress == 2)
        slots.release(bytes: 10)
        #expect(await third.value)
        #expect(slots.inProgress == 2)
    }

    @Test func bytesAreBoundedButOneRequestIsAlwaysAdmitted() async {
        let slots = RequestSlots(maximumRequests: 10, maximumBytes: 100)
        #expect(await slots.acquire(bytes: 500))  // alone: admitted whatever its size
        let next = Task { await slots.acquire(bytes: 1) }
        while !slots.hasWaiter { await Task.yield() }
        slots.release(bytes: 500)
        #expect(await next.value)
        #expect(await slots.acquire(bytes: 60))
        let over = Task { await slots.acquire(bytes: 60) }
        while !slots.hasWaiter { await Task.yield() }
        #expect(slots.inProgress == 2)
        slots.release(bytes: 60)
        #expect(await over.value)
    }

    @Test func aCancelledWaitGivesUp() async {
        let slots = RequestSlots(maximumRequests: 1, maximumBytes: 100)
        #expect(await slots.acquire(bytes: 1))
        let waiting = Task { await slots.acquire(bytes: 1) }
        while !slots.hasWaiter { await Task.yield() }
        waiting.cancel()
        #expect(await waiting.value == false)
        #expect(slots.inProgress == 1)
    }
}
