import TrellisData
import TrellisEval
import TrellisTensor

/// Full-ranking evaluation: every user with a target item scores all items, items in the
/// mask (what the user saw before) are excluded, and the top-K are compared to the targets.
public enum RankingEvaluation {
    /// Metrics for `targets` (user -> items) given representations users (U, d), items (I, d).
    public static func evaluate(users: Tensor, items: Tensor, targets: CSRMatrix, mask: CSRMatrix,
                                ks: [Int], usersPerChunk: Int = 512) -> [String: Double] {
        let itemCount = items.shape[0], d = items.shape[1]
        // The score buffer holds (chunk x items) floats: cap it at 16M floats (64 MB), so a
        // 316K-item catalogue ranks 53 users at a time instead of allocating 650 MB.
        let usersPerChunk = Swift.max(1, Swift.min(usersPerChunk, (1 << 24) / Swift.max(1, itemCount)))
        let candidates = (0..<targets.rowCount).filter { targets.rowLength($0) > 0 && $0 < users.shape[0] }
        var metrics = RankingMetrics(ks: ks, itemCount: itemCount)
        var scores = [Float](repeating: 0, count: usersPerChunk * itemCount)
        var start = 0
        while start < candidates.count {
            let chunk = Array(candidates[start..<min(start + usersPerChunk, candidates.count)])
            let rows = users.rows(chunk.map { Int32($0) })   // (chunk, d)
            rows.data.withUnsafeBufferPointer { u in
                items.data.withUnsafeBufferPointer { it in
                    scores.withUnsafeMutableBufferPointer { s in
                        // scores (chunk, I) = U_chunk (chunk, d) · Items(I, d)ᵀ
                        BLAS.gemm(transposeA: false, transposeB: true, m: chunk.count, n: itemCount, k: d,
                                  a: u.baseAddress!, b: it.baseAddress!, c: s.baseAddress!)
                        for (r, user) in chunk.enumerated() {
                            let row = UnsafeBufferPointer(rebasing: s[(r * itemCount)..<((r + 1) * itemCount)])
                            metrics.addUser(scores: row, exclude: mask.row(user), positives: targets.row(user))
                        }
                    }
                }
            }
            start += usersPerChunk
        }
        var summary = metrics.summary()
        summary["users"] = Double(metrics.userCount)
        return summary
    }
}

extension PreparedDataset {
    /// Metrics of `part` with the protocol's masks: validation masks train items, test masks
    /// train and validation items.
    public func evaluate(_ part: EvaluationPart, users: Tensor, items: Tensor, ks: [Int]) -> [String: Double] {
        switch part {
        case .valid:
            return RankingEvaluation.evaluate(users: users, items: items, targets: validItems, mask: trainItems, ks: ks)
        case .test:
            return RankingEvaluation.evaluate(users: users, items: items, targets: testItems, mask: trainAndValidItems, ks: ks)
        }
    }
}

extension PreparedDataset {
    /// Test metrics of ranking every user's unseen items by training popularity (the
    /// yardstick printed beside a ranking model).
    public func popularityBaseline(ks: [Int]) -> [String: Double] {
        let pop = PopularityRanker(trainItems: split.train.items, itemCount: itemCount).scores()
        // Popularity as rank-1 embeddings: every user (1) · item (popularity).
        let users = Tensor(shape: [userCount, 1], repeating: 1)
        let items = Tensor(shape: [itemCount, 1], data: pop)
        return evaluate(.test, users: users, items: items, ks: ks)
    }
}
