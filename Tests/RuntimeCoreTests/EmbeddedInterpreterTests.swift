import Testing
@testable import RuntimeCore

/// The worker embeds Debian's static libpython3.11 (Package.swift,
/// `embeddedPython`), the interpreter `python3` itself is made of, and not
/// the slower position-independent shared library.
@Suite(.timeLimit(.minutes(2)))
struct EmbeddedInterpreterTests {
    @Test func theWorkersInterpreterIsPartOfItsExecutable() async throws {
        let runtime = TestSupport.runtime()
        // Where Py_Initialize (looked up in the process's global scope, as an
        // extension module's symbols are) lives: the mapping that holds it.
        let main = """
        import ctypes, os
        import numpy, pandas
        from runtimeBridge import save_placeholder
        address = ctypes.cast(ctypes.CDLL(None).Py_Initialize, ctypes.c_void_p).value
        with open("/proc/self/maps") as file:
            maps = file.read()
        holder = None
        for fields in map(str.split, maps.splitlines()):
            low, high = (int(part, 16) for part in fields[0].split("-"))
            if low <= address < high and len(fields) > 5:
                holder = fields[5]
        save_placeholder("inExecutable", holder == os.readlink("/proc/self/exe"))
        save_placeholder("sharedLibraryMapped", "libpython3" in maps)
        save_placeholder("extensionModules", float(pandas.DataFrame({"a": numpy.arange(4)})["a"].sum()))
        """
        let session = try await runtime.run(TestSupport.program(["main.py": main]))
        let snapshot = await session.waitUntilEnded()
        #expect(snapshot.status == .finished, "\(String(describing: snapshot.error))")
        #expect(try await session.value("inExecutable") == true)
        #expect(try await session.value("sharedLibraryMapped") == false)
        #expect(try await session.value("extensionModules") == 6.0)
        await runtime.shutdown()
    }
}
