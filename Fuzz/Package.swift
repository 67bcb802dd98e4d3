// swift-tools-version: 6.1
// The libFuzzer targets that need a module with package dependencies
// (RuntimeProtocol needs RuntimeCore, which needs swift-log and
// swift-service-lifecycle). scripts/fuzz.sh builds them with
//   swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address ...
// against the project package itself (by path), so the project's manifest,
// not this file, says what each module is made of and depends on.
import Foundation
import PackageDescription

/// A path dependency is known by the name of its folder: the checkout's, whatever it is.
let project = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

/// The harnesses SwiftPM builds; every other file here (the corpus, the
/// harnesses scripts/fuzz.sh builds with swiftc) is excluded.
let sources = ["RequestParserFuzz.swift"]
let others = ((try? FileManager.default.contentsOfDirectory(atPath: Context.packageDirectory)) ?? [])
    .filter { !$0.hasPrefix(".") && !sources.contains($0) && !["Package.swift", "Package.resolved"].contains($0) }

let package = Package(
    name: "fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        // libFuzzer's driver, declared for Swift (the toolchain's libFuzzer defines it).
        .target(name: "LibFuzzer", path: "LibFuzzer"),
        .executableTarget(
            name: "request",
            dependencies: ["LibFuzzer", .product(name: "RuntimeProtocol", package: project)],
            path: ".",
            exclude: others,
            sources: sources,
            swiftSettings: [.unsafeFlags(["-parse-as-library", "-warnings-as-errors"])]
        ),
    ]
)
