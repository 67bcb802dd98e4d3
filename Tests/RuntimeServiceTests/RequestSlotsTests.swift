@testable import RuntimeService
import Testing

/// The bound on one connection's requests in progress (``RequestSlots``):
/// never waited for, so the reading always goes on.
@Suite(.timeLimit(.minutes(1)))
struct RequestSlotsTests {
    @Test func requestsPastTheBoundAreRefusedUntilOneEnds() {
        let slots = RequestSlots(maximumRequests: 2, maximumBytes: 1000)
        #expect(slots.tryAcquire(bytes: 10))
        #expect(slots.tryAcquire(bytes: 10))
        #expect(!slots.tryAcquire(bytes: 10))
        #expect(slots.inProgress == 2)
        slots.release(bytes: 10)
        #expect(slots.tryAcquire(bytes: 10))
        #expect(slots.inProgress == 2)
    }

    @Test func bytesAreBoundedButOneRequestIsAlwaysTaken() {
        let slots = RequestSlots(maximumRequests: 10, maximumBytes: 100)
        #expect(slots.tryAcquire(bytes: 500))  // alone: taken whatever its size
        #expect(!slots.tryAcquire(bytes: 1))
        slots.release(bytes: 500)
        #expect(slots.tryAcquire(bytes: 60))
        #expect(!slots.tryAcquire(bytes: 41))
        #expect(slots.tryAcquire(bytes: 40))
        #expect(slots.inProgress == 2)
    }

    @Test func stopsHaveSlotsOfTheirOwn() {
        let slots = RequestSlots(maximumRequests: 1, maximumBytes: 100, maximumStops: 2)
        #expect(slots.tryAcquire(bytes: 1))
        #expect(!slots.tryAcquire(bytes: 1))
        #expect(slots.tryAcquireStop() && slots.tryAcquireStop())
        #expect(!slots.tryAcquireStop())
        slots.releaseStop()
        #expect(slots.tryAcquireStop())
        #expect(slots.inProgress == 1)
    }
}
