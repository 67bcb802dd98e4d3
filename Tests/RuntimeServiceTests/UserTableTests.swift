import Foundation
import RuntimeService
import Testing

/// The users file and its hashes.
@Suite struct UserTableTests {
    @Test func sha256MatchesTheStandardVectors() {
        func hex(_ text: String) -> String { TokenHash(token: text, salt: []).digest.map { String(format: "%02x", $0) }.joined() }
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(String(repeating: "a", count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Lengths around the 55/56/64-byte padding edges.
        #expect(hex(String(repeating: "a", count: 55)) == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(hex(String(repeating: "a", count: 56)) == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        #expect(hex(String(repeating: "a", count: 64)) == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    @Test func hashesRoundTripAndMatchOnlyTheirToken() throws {
        let hash = TokenHash(token: "alice-token")
        let parsed = try #require(TokenHash(parsing: hash.description))
        #expect(parsed == hash)
        #expect(parsed.matches("alice-token"))
        #expect(!parsed.matches("alice-token2") && !parsed.matches("") && !parsed.matches("Alice-token"))
        // Fresh salt each time: the same token never hashes the same twice.
        #expect(TokenHash(token: "alice-token") != hash)
        #expect(hash.description.hasPrefix("sha256$") && hash.description.split(separator: "$").map(\.count) == [6, 32, 64])
    }

    @Test func usersFileParsing() throws {
        let alice = TokenHash(token: "a"), bob = TokenHash(token: "b")
        let table = try UserTable(parsing: "# the team\n\nalice:\(alice)\r\n  bob:\(bob)  \n")
        #expect(table.entries.map(\.user.name) == ["alice", "bob"])
        #expect(table.user(forToken: "b") == ServerUser(name: "bob"))
        #expect(table.user(forToken: "c") == nil)
        #expect(!"\(table)".contains(alice.description) && "\(table)".contains("alice"))

        let refusals: [(String, String)] = [
            ("", "no user"),
            ("alice\n", "line 1"),
            ("alice:plain-token\n", "line 1"),
            ("# c\nal ice:\(alice)\n", "line 2"),
            ("alice:\(alice)\nalice:\(bob)\n", "twice"),
            ("alice:md5$00$00\n", "sha256"),
        ]
        for (text, expected) in refusals {
            #expect("\(text)") { try UserTable(parsing: text) } throws: { "\($0)".contains(expected) }
        }
    }
}
