import Foundation
import Testing
@testable import RuntimeCore

@Suite struct ProgramValidationTests {
    private func files(_ names: String...) -> [SourceFile] {
        names.map { SourceFile(filename: $0, content: "x = 1\n") }
    }

    @Test func acceptsRelativePathsOfPlainSegments() throws {
        let program = try Program(files: files("main.py", "pkg/util.py", "./pkg/other.py"), mainFile: "./main.py")
        #expect(program.mainFile == "main.py")
    }

    @Test(arguments: ["/etc/passwd", "../escape.py", "a/../../b.py", "a\\b.py", "nul\0.py", "", "dir/", "."])
    func refusesUnsafeFilenames(_ name: String) {
        #expect {
            try Program(files: [SourceFile(filename: name, content: ""), SourceFile(filename: "main.py", content: "")],
                        mainFile: "main.py")
        } throws: { ($0 as? RuntimeError)?.code == .invalidFilename }
    }

    @Test func mainFileMustBeOneOfTheFiles() {
        #expect {
            try Program(files: files("main.py"), mainFile: "other.py")
        } throws: {
            // The message names the field as the client wrote it.
            ($0 as? RuntimeError)?.code == .invalidFilename
                && ($0 as? RuntimeError)?.message == "python.mainfile 'other.py' is not one of the files"
        }
    }

    @Test func declaredNumberMustMatch() {
        #expect {
            try Program(files: files("main.py", "b.py"), mainFile: "main.py", declaredCount: 3)
        } throws: { error in
            let error = error as? RuntimeError
            return error?.code == .invalidRequest && error?.message.contains("number") == true
        }
    }

    @Test func refusesDuplicatesAndFileFolderClashes() {
        #expect { try Program(files: files("a.py", "./a.py"), mainFile: "a.py") } throws: {
            ($0 as? RuntimeError)?.code == .invalidFilename
        }
        #expect { try Program(files: files("a", "a/b.py"), mainFile: "a/b.py") } throws: {
            ($0 as? RuntimeError)?.code == .invalidFilename
        }
    }

    @Test func enforcesLimits() {
        let limits = ProgramLimits(maximumFiles: 2, maximumBytes: 10)
        #expect { try Program(files: files("a.py", "b.py", "c.py"), mainFile: "a.py", limits: limits) } throws: {
            ($0 as? RuntimeError)?.code == .limitExceeded
        }
        let big = [SourceFile(filename: "a.py", content: String(repeating: "#", count: 11))]
        #expect { try Program(files: big, mainFile: "a.py", limits: limits) } throws: {
            ($0 as? RuntimeError)?.code == .limitExceeded
        }
    }
}
