import CPython
import Synchronization

/// The types of `datetime`, numpy and pandas that ``PythonJSONConverter``
/// recognises values by, looked up once per module object rather than once
/// per converter.
///
/// Every request that encodes a value makes a converter; looking up these
/// eight attributes each time cost about 16,500 instructions, 2 % of a
/// one-row `run_model` in the worker (callgrind, Docs/Benchmarks.md). The
/// cache is keyed by the module objects found in `sys.modules`, which it
/// keeps alive (so an address cannot be reused by another module): a module
/// imported later, or replaced in `sys.modules`, is looked up again. As
/// before, modules the program has not imported are not imported.
///
/// Only created, read and released with the GIL held, which is what makes
/// the `@unchecked Sendable` sound: ``current()`` must be called holding it,
/// and a converter (holding the GIL whenever it exists) keeps the instance.
final class KnownPythonTypes: @unchecked Sendable {
    /// `sys.modules["datetime"]`, `["numpy"]` and `["pandas"]` when looked
    /// up: the key of this instance, kept alive by it.
    private let modules: [PythonObject?]

    let dateType: PythonObject?
    let timeType: PythonObject?
    let ndarrayType: PythonObject?
    let numpyGeneric: PythonObject?
    let numpyDatetime64: PythonObject?
    let dataFrameType: PythonObject?
    let seriesType: PythonObject?
    let categoricalType: PythonObject?

    private static let moduleNames = ["datetime", "numpy", "pandas"]
    private static let cache = Mutex<KnownPythonTypes?>(nil)

    /// The types of the modules now in `sys.modules`. Must hold the GIL.
    static func current() -> KnownPythonTypes {
        let loaded = moduleNames.map(PythonInterpreter.loadedModule)
        if let cached = cache.withLock({ $0 }), cached.isKeyed(by: loaded) { return cached }
        let fresh = KnownPythonTypes(modules: loaded.map { $0.map(PythonObject.init(borrowing:)) })
        let replaced = cache.withLock { cached in
            defer { cached = fresh }
            return cached
        }
        // Released here, with the GIL held and outside the lock: dropping the
        // last reference to a module replaced in sys.modules can run Python
        // code, which might make a converter of its own.
        withExtendedLifetime(replaced) {}
        return fresh
    }

    private init(modules: [PythonObject?]) {
        self.modules = modules
        let datetime = modules[0], numpy = modules[1], pandas = modules[2]
        dateType = try? datetime?.attribute("date")
        timeType = try? datetime?.attribute("time")
        ndarrayType = try? numpy?.attribute("ndarray")
        numpyGeneric = try? numpy?.attribute("generic")
        numpyDatetime64 = try? numpy?.attribute("datetime64")
        dataFrameType = try? pandas?.attribute("DataFrame")
        seriesType = try? pandas?.attribute("Series")
        categoricalType = try? pandas?.attribute("Categorical")
        PyErr_Clear()
    }

    private func isKeyed(by loaded: [UnsafeMutablePointer<PyObject>?]) -> Bool {
        modules.count == loaded.count && zip(modules, loaded).allSatisfy { $0?.pointer == $1 }
    }
}
