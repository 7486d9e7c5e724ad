// MARK: Column accumulation while loading

extension FeatureTable {
    /// Accumulates one column's cells by type; only the storage for `type` is used.
    struct ColumnBuilder {
        let type: AtomicFieldType
        var interner = TokenInterner(IDMap())
        var ids: [Int32] = []
        var idSequences: [[Int32]] = []
        var floats: [Float] = []
        var floatSequences: [[Float]] = []

        init(type: AtomicFieldType) { self.type = type }

        /// Appends one cell; false if it does not parse as `type`.
        mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            switch type {
            case .token:
                ids.append(interner.intern(bytes))
            case .tokenSequence:
                var sequence: [Int32] = []
                forEachWord(bytes) { sequence.append(interner.intern($0)) }
                idSequences.append(sequence)
            case .float:
                if bytes.isEmpty {
                    floats.append(.nan)
                } else {
                    guard let value = NumberParser.parseDouble(bytes) else { return false }
                    floats.append(Float(value))
                }
            case .floatSequence:
                var sequence: [Float] = []
                var ok = true
                forEachWord(bytes) { word in
                    if let value = NumberParser.parseDouble(word) { sequence.append(Float(value)) } else { ok = false }
                }
                guard ok else { return false }
                floatSequences.append(sequence)
            }
            return true
        }

        /// The finished column.
        var column: Column {
            switch type {
            case .token: return .token(ids: ids, vocabulary: interner.map)
            case .tokenSequence: return .tokenSequence(ids: idSequences, vocabulary: interner.map)
            case .float: return .float(floats)
            case .floatSequence: return .floatSequence(floatSequences)
            }
        }
    }
}

/// Calls `body` with each space-separated, non-empty word of `bytes`.
func forEachWord(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
    var start = 0
    for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x20 {
        if i > start { body(UnsafeBufferPointer(rebasing: bytes[start..<i])) }
        start = i + 1
    }
}
