import Foundation
import RuntimeCore
import RuntimeProtocol

/// Reads a program's files from disk, naming each relative to the folder that holds them all.
enum ProgramLoader {
    /// A file that cannot be sent, said plainly (`app/main.py: no such file`).
    struct Failure: Error {
        var message: String
    }

    static func load(files: [String], main: String?) throws(Failure) -> Program {
        for path in files { try checkReadable(path) }
        let urls = files.map { URL(fileURLWithPath: $0).standardizedFileURL }
        let base = commonFolder(of: urls)
        var sources: [SourceFile] = []
        for (path, url) in zip(files, urls) {
            guard let content = try? String(contentsOf: url, encoding: .utf8) else {
                throw Failure(message: "\(path): cannot read it as UTF-8 text")
            }
            sources.append(SourceFile(filename: relativeName(url, to: base), content: content))
        }
        let mainName = main.map { relativeName(URL(fileURLWithPath: $0).standardizedFileURL, to: base) } ?? sources[0].filename
        guard sources.contains(where: { $0.filename == mainName }) else {
            throw Failure(message: "--main \(main ?? mainName) is not one of the files given")
        }
        do {
            return try Program(files: sources, mainFile: mainName)
        } catch {
            throw Failure(message: error.message)
        }
    }

    private static func checkReadable(_ path: String) throws(Failure) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw Failure(message: "\(path): no such file")
        }
        if isFolder.boolValue { throw Failure(message: "\(path) is a folder; name the .py files in it") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw Failure(message: "\(path): permission denied")
        }
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
