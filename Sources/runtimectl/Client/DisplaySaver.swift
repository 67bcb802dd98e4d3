import Foundation
import RuntimeCore
import RuntimeProtocol

/// Writes a value's display form (the reply's `display`, MIME type to content)
/// to a file: the type the file's extension names, else the first image.
enum DisplaySaver {
    /// Why nothing was saved, in words for the person who asked.
    struct Failure: Error {
        var message: String
    }

    static let typesByExtension = ["png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "svg": "image/svg+xml",
                                   "html": "text/html", "htm": "text/html", "md": "text/markdown", "txt": "text/plain",
                                   "json": "application/json"]
    static let imageTypes = ["image/png", "image/jpeg", "image/svg+xml", "image/gif"]

    /// Saves and returns the MIME type written.
    static func save(_ reply: JSONValue, to path: String) throws(Failure) -> String {
        let name = reply["name"]?.stringValue ?? "the value"
        guard let display = reply["display"]?.objectValue, !display.isEmpty else {
            throw Failure(message: "\(name) has no display form to save: the server sent no `display` for this \(reply["valueType"]?.stringValue ?? "value")")
        }
        let available = display.map(\.0)
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        let type: String
        if let wanted = typesByExtension[ext] {
            guard available.contains(wanted) else {
                throw Failure(message: "\(name) has no \(wanted) form (it has \(available.joined(separator: ", "))); choose a file name ending in one of those")
            }
            type = wanted
        } else if let image = imageTypes.first(where: available.contains) {
            type = image
        } else {
            throw Failure(message: "\(name) has no image form (it has \(available.joined(separator: ", "))); name a file ending .html, .txt … to save one of those")
        }
        let data: Data
        switch reply["display"]?[type] {
        case .string(let text) where type == "image/png" || type == "image/jpeg" || type == "image/gif":
            guard let bytes = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                throw Failure(message: "the server's \(type) for \(name) is not base64")
            }
            data = bytes
        case .string(let text):
            data = Data(text.utf8)
        case let other?:
            data = Data(other.jsonString.utf8)
        case nil:
            throw Failure(message: "\(name) has no \(type) form")
        }
        do {
            try data.write(to: URL(fileURLWithPath: path))
        } catch {
            throw Failure(message: "cannot write \(path): \((error as NSError).localizedDescription)")
        }
        return type
    }
}
