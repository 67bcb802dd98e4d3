import Foundation
import RuntimeCore

/// Reads a program's files from disk, naming each relative to the folder that holds them all.
enum ProgramLoader {
    static func load(files: [String], main: String?) throws -> Program {
        let urls = files.map { URL(fileURLWithPath: $0).standardizedFileURL }
        let base = commonFolder(of: urls)
        var sources: [SourceFile] = []
        for url in urls {
            let content: String
            do {
                content = try String(contentsOf: url, encoding: .utf8)
            } catch {
                throw RuntimeError(.invalidRequest, "cannot read \(url.path): \(error.localizedDescription)")
            }
            sources.append(SourceFile(filename: relativeName(url, to: base), content: content))
        }
        let mainName = main.map { relativeName(URL(fileURLWithPath: $0).standardizedFileURL, to: base) } ?? sources[0].filename
        return try Program(files: sources, mainFile: mainName)
    }

    private static func commonFolder(of urls: [URL]) -> [String] {
        var common = urls.first.map { Array($0.deletingLastPathComponent().pathComponents) } ?? []
        for url in urls.dropFirst() {
            let parts = url.deletingLastPathComponent().pathComponents
            common = Array(zip(common, parts).prefix { $0 == $1 }.map(\.0))
        }
        return common
    }

    private static func relativeName(_ url: URL, to base: [String]) -> String {
        let parts = url.pathComponents
        guard parts.starts(with: base) else { return url.lastPathComponent }
        return parts.dropFirst(base.count).joined(separator: "/")
    }
}
