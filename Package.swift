// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "python-runtime",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "RuntimeCore", targets: ["RuntimeCore"]),
        .executable(name: "runtime-worker", targets: ["runtime-worker"]),
        .executable(name: "runtimectl", targets: ["runtimectl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CPython",
            path: "Sources/CPython",
            pkgConfig: "python3-embed",
            providers: [.apt(["libpython3-dev"])]
        ),
        .target(
            name: "RuntimeCore",
            dependencies: [
                "CPython",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "runtime-worker", dependencies: ["RuntimeCore"]),
        .executableTarget(
            name: "runtimectl",
            dependencies: [
                "RuntimeCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "RuntimeBenchmarks",
            dependencies: ["RuntimeCore", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "RuntimeCoreTests", dependencies: ["RuntimeCore"]),
        .testTarget(name: "RuntimectlTests", dependencies: ["RuntimeCore"]),
    ]
)
