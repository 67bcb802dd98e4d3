// swift-tools-version: 6.1
// The benchmarks: a package of their own, so the project's manifest carries no
// benchmark dependency, as swift-nio's benchmarks do. They use the project's
// public products only (RuntimeCore, RuntimeClient) and drive the release
// executables the main package builds (RuntimeServer, runtime-worker).
// Run them with ./scripts/bench.sh (see Docs/Benchmarks.md).
import PackageDescription

let package = Package(
    name: "python-runtime-benchmarks",
    dependencies: [
        .package(name: "python-runtime", path: ".."),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
    ],
    targets: [
        .executableTarget(
            name: "RuntimeBenchmarks",
            dependencies: [
                .product(name: "RuntimeCore", package: "python-runtime"),
                .product(name: "RuntimeClient", package: "python-runtime"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
