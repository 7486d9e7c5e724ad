/// Cuts values echoed back in error messages, so a 5,000-character field or key cannot flood
/// a terminal or a log line. Every error that quotes what it found goes through here.
public enum Echo {
    /// Characters of a value kept before the ellipsis.
    public static let limit = 80

    /// `text` itself when it has at most `limit` characters; else its first `limit`
    /// characters, an ellipsis and the full length, e.g. `xxxx… (5120 characters)`.
    public static func cut(_ text: String, limit: Int = limit) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(limit)) + "… (\(text.count) characters)"
    }
}
