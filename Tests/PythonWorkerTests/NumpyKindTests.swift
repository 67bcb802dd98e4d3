import Testing
@testable import PythonWorker

/// Which numpy `dtype.kind`s are read through the buffer protocol.
struct NumpyKindTests {
    @Test(arguments: ["b", "i", "u", "f"])
    func numericKindsAreReadFromTheBuffer(_ kind: String) {
        #expect(NumpyBufferReader.reads(kind: kind))
    }

    /// Everything else falls back (objects, dates, durations, complex, bytes,
    /// text, records), and so does what is not one kind.
    @Test(arguments: ["O", "M", "m", "c", "S", "U", "V", "", "bi", "F"])
    func otherKindsFallBack(_ kind: String) {
        #expect(!NumpyBufferReader.reads(kind: kind))
    }
}
