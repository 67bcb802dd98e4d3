import Foundation
import Glibc
import Testing
@testable import RuntimeCore

/// Folders left in the work root by runtimes that died are removed at start;
/// a folder whose runtime is alive (its lock held) never is.
@Suite struct WorkFolderTests {
    @Test func abandonedFoldersAreRemovedAndLiveOnesKept() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("workroot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        // A runtime that died: its folder and lock file remain, nobody holds the lock.
        let dead = root.appendingPathComponent(WorkFolder.prefix + "1-dead")
        try FileManager.default.createDirectory(at: dead.appendingPathComponent("session"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dead.appendingPathComponent(WorkFolder.lockName).path, contents: nil)
        // A live one, and a folder that is not ours at all.
        let live = try WorkFolder(root: root, name: "2-live")
        let foreign = root.appendingPathComponent(WorkFolder.prefix + "3-foreign")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)

        #expect(WorkFolder.removeAbandoned(in: root) == 1)
        #expect(!FileManager.default.fileExists(atPath: dead.path))
        #expect(FileManager.default.fileExists(atPath: live.url.path))
        #expect(FileManager.default.fileExists(atPath: foreign.path))
    }

    @Test func aRuntimeCleansUpAtStartAndKeepsItsOwnFolderLocked() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("workroot-\(UUID().uuidString)")
        let dead = root.appendingPathComponent(WorkFolder.prefix + "1-dead")
        try FileManager.default.createDirectory(at: dead, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dead.appendingPathComponent(WorkFolder.lockName).path, contents: nil)
        defer { try? FileManager.default.removeItem(at: root) }
        let runtime = TestSupport.runtime { $0.workRoot = root }
        #expect(!FileManager.default.fileExists(atPath: dead.path))
        // Another runtime starting now leaves the first one's folder alone.
        let second = TestSupport.runtime { $0.workRoot = root }
        #expect(FileManager.default.fileExists(atPath: runtime.workFolder.path))
        var info = stat()
        #expect(stat(runtime.workFolder.path, &info) == 0 && info.st_mode & 0o777 == 0o711)
        await second.shutdown()
        await runtime.shutdown()
    }
}

/// A folder being made is named only once its lock is held (the race that
/// prevents is microseconds wide: no test here could catch it reliably).
@Suite struct WorkFolderStartTests {
    @Test func aFolderLeftUnnamedByARuntimeThatDiedStartingIsRemovedLater() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("workroot-\(UUID().uuidString)")
        let stale = root.appendingPathComponent(".starting-" + WorkFolder.prefix + "1-died")
        let fresh = root.appendingPathComponent(".starting-" + WorkFolder.prefix + "2-starting")
        try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: fresh, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-120)], ofItemAtPath: stale.path)
        #expect(WorkFolder.removeAbandoned(in: root) == 1)
        #expect(!FileManager.default.fileExists(atPath: stale.path))
        #expect(FileManager.default.fileExists(atPath: fresh.path), "one being made now is left alone")
    }
}
