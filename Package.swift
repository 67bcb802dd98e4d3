// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "python-runtime",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RuntimeCore", targets: ["RuntimeCore"]),
        .library(name: "RuntimeService", targets: ["RuntimeService"]),
        .library(name: "RuntimeClient", targets: ["RuntimeClient"]),
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
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CPython",
            path: "Sources/CPython",
            pkgConfig: "python3-embed",
            providers: [.apt(["libpython3-dev"])]
        ),
        .target(name: "CSandbox", path: "Sources/CSandbox"),
        .target(
            name: "RuntimeCore",
            dependencies: [
                "CPython",
                "CSandbox",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RuntimeService",
            dependencies: [
                "RuntimeCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
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
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "runtime-worker", dependencies: ["RuntimeCore"]),
        .executableTarget(
            name: "RuntimeServer",
            dependencies: [
                "RuntimeService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "runtimectl",
            dependencies: [
                "RuntimeCore",
                "RuntimeClient",
                "RuntimeService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "RuntimeBenchmarks",
            dependencies: [
                "RuntimeCore", "RuntimeClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "RuntimeTestSupport",
            dependencies: ["RuntimeService", "RuntimeClient", "RuntimeCore",
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            path: "Tests/RuntimeTestSupport"
        ),
        .testTarget(name: "RuntimeCoreTests", dependencies: ["RuntimeCore", "RuntimeTestSupport"], exclude: ["Fixtures"]),
        .testTarget(
            name: "RuntimeServiceTests",
            dependencies: ["RuntimeService", "RuntimeClient", "RuntimeCore", "RuntimeTestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "RuntimectlTests", dependencies: ["RuntimeCore", "RuntimeService", "RuntimeTestSupport"]),
    ]
)
