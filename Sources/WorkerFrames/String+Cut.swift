extension String {
    /// This string, or when longer than `limit` UTF-8 bytes its start (cut
    /// between Unicode scalars, so a combining sequence may be split) and a
    /// note of how many bytes were cut, `limit` bytes in all.
    package func cut(toBytes limit: Int) -> String {
        let size = utf8.count
        guard size > limit else { return self }
        let note = " … [\(size) bytes, cut]"
        var prefix = Substring(self).utf8.prefix(max(0, limit - note.utf8.count))
        while String(prefix) == nil, !prefix.isEmpty { prefix = prefix.dropLast() }
        return (String(prefix) ?? "") + note
    }
}
