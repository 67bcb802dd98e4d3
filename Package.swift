// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "python-runtime",
    products: [
        .library(name: "RuntimeCore", targets: ["RuntimeCore"]),
        .library(name: "RuntimeProtocol", targets: ["RuntimeProtocol"]),
        .library(name: "PythonWorker", targets: ["PythonWorker"]),
        .library(name: "WorkerTLS", targets: ["WorkerTLS"]),
        .library(name: "RuntimeService", targets: ["RuntimeService"]),
        .library(name: "RuntimeClient", targets: ["RuntimeClient"]),
        .library(name: "RuntimeRay", targets: ["RuntimeRay"]),
        .executable(name: "runtime-worker", targets: ["runtime-worker"]),
        .executable(name: "RuntimeServer", targets: ["RuntimeServer"]),
        .executable(name: "runtimectl", targets: ["runtimectl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        // The Ray backend's REST calls to the Ray dashboard (RuntimeRay).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // `swift package generate-documentation` (scripts/docs.sh); no target depends on it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // CPython's headers (`pkg-config python3` names no library); the
        // interpreter itself is linked by PythonWorker below.
        .systemLibrary(
            name: "CPython",
            path: "Sources/CPython",
            pkgConfig: "python3",
            providers: [.apt(["libpython3-dev"])]
        ),
        .target(name: "CSandbox", path: "Sources/CSandbox"),
        // JSON values, the strict parser and the byte writer: no dependencies.
        .target(name: "RuntimeJSON"),
        // The frames between the server and its workers, and the one error model.
        .target(name: "WorkerFrames", dependencies: ["RuntimeJSON"]),
        // The parent side: sessions, placeholders, models and statistics as
        // APIs, the worker handle and pool. No CPython.
        .target(
            name: "RuntimeCore",
            dependencies: [
                "RuntimeJSON",
                "WorkerFrames",
                "CSandbox",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The worker side: the embedded interpreter, value encoding and the
        // native statistics. Linked only by runtime-worker.
        .target(name: "PythonWorker", dependencies: ["CPython", "CSandbox", "RuntimeJSON", "WorkerFrames", "WorkerTLS"],
                linkerSettings: embeddedPython),
        // TLS on remote workers' connections (both sides), relayed to a plain
        // descriptor so the frame code never sees it.
        .target(
            name: "WorkerTLS",
            dependencies: [
                "WorkerFrames",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The wire protocol: request parsing, replies, events, error codes.
        .target(name: "RuntimeProtocol", dependencies: ["RuntimeCore", "RuntimeJSON"]),
        .target(
            name: "RuntimeService",
            dependencies: [
                "RuntimeCore",
                "RuntimeProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/client.html")]
        ),
        .target(
            name: "RuntimeClient",
            dependencies: [
                "RuntimeCore",
                "RuntimeProtocol",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The Ray backend: session workers as Ray jobs, through the Ray Jobs
        // REST API of the dashboard. Pure HTTP/JSON, no Python.
        .target(
            name: "RuntimeRay",
            dependencies: [
                "RuntimeCore",
                "RuntimeJSON",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "runtime-worker", dependencies: ["PythonWorker"]),
        .executableTarget(
            name: "RuntimeServer",
            dependencies: [
                "RuntimeService",
                "RuntimeRay",
                "WorkerTLS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "runtimectl",
            dependencies: [
                "RuntimeCore",
                "RuntimeProtocol",
                "RuntimeClient",
                "RuntimeService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RuntimeTestSupport",
            dependencies: ["RuntimeService", "RuntimeClient", "RuntimeCore", "RuntimeRay",
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            path: "Tests/RuntimeTestSupport"
        ),
        .testTarget(name: "RuntimeCoreTests", dependencies: ["RuntimeCore", "RuntimeJSON", "WorkerFrames", "RuntimeTestSupport", "WorkerTLS",
                                                          .product(name: "Logging", package: "swift-log"),
                                                          .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                    exclude: ["Fixtures"]),
        .testTarget(name: "PythonWorkerTests", dependencies: ["PythonWorker", "RuntimeJSON", "WorkerFrames", "RuntimeCore", "RuntimeTestSupport"]),
        .testTarget(
            name: "RuntimeServiceTests",
            dependencies: ["RuntimeService", "RuntimeProtocol", "RuntimeClient", "RuntimeCore", "RuntimeJSON", "WorkerFrames",
                           "RuntimeTestSupport", .product(name: "NIOCore", package: "swift-nio")],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "RuntimeRayTests", dependencies: ["RuntimeRay", "RuntimeCore", "RuntimeJSON", "RuntimeService", "RuntimeClient",
                                                         "RuntimeTestSupport", "WorkerTLS",
                                                         .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                                         .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "RuntimectlTests", dependencies: ["RuntimeCore", "RuntimeService", "RuntimeTestSupport"]),
    ]
)

/// How PythonWorker (and so `runtime-worker`) links Debian's libpython3.11:
/// its static library (`libpython3.11.a`, compiled without PIC, the one
/// Debian's own `python3` is made of) into a position-dependent executable,
/// with the interpreter's symbols exported for the extension modules it
/// loads (numpy, pandas). Over Debian's shared `libpython3.11.so` Python code
/// runs about a tenth slower (Docs/Benchmarks.md, "The worker's Python,
/// linked statically"). SwiftPM accepts these flags in a package used as a
/// dependency from 6.2 on, when the package's tools version is 6.2, as here.
/// `libexpat` and `zlib` are the static library's own dependencies
/// (libpython3.11-dev depends on their -dev packages).
var embeddedPython: [LinkerSetting] {
    [.unsafeFlags(["-Xclang-linker", "-no-pie",
                   "-Xlinker", "--export-dynamic",
                   "-Xlinker", "-l:libpython3.11.a",
                   "-Xlinker", "-lexpat", "-Xlinker", "-lz", "-Xlinker", "-lm"])]
}
