import TrellisCore
import TrellisData
import TrellisEval
import TrellisTensor

/// Full-ranking evaluation: every user with a target item scores all items, items in the
/// mask (what the user saw before) are excluded, and the top-K are compared to the targets.
public enum RankingEvaluation {
    /// Metrics for `targets` (user -> items) given representations users (U, d), items (I, d).
    public static func evaluate(users: Tensor, items: Tensor, targets: CSRMatrix, mask: CSRMatrix,
                                ks: [Int], usersPerChunk: Int = 512) -> [String: Double] {
        let candidates = (0..<targets.rowCount).filter { targets.rowLength($0) > 0 && $0 < users.shape[0] }.map { Int32($0) }
        var metrics = RankingMetrics(ks: ks, itemCount: items.shape[0])
        accumulate(into: &metrics, users: candidates, userRows: users.rows(candidates), items: items, targets: targets,
                   mask: mask, usersPerChunk: usersPerChunk)
        var summary = metrics.summary()
        summary["users"] = Double(metrics.userCount)
        return summary
    }

    /// Adds the users `users` (ascending, each with targets) to `metrics`: user `users[r]` is
    /// represented by row r of `userRows` (users.count, d), items by `items` (I, d).
    public static func accumulate(into metrics: inout RankingMetrics, users: [Int32], userRows: Tensor, items: Tensor,
                                  targets: CSRMatrix, mask: CSRMatrix, usersPerChunk: Int = 512) {
        precondition(userRows.shape[0] == users.count, "RankingEvaluation: \(userRows.shape[0]) rows for \(users.count) users")
        let itemCount = items.shape[0], d = items.shape[1]
        // The score buffer holds (chunk x items) floats: cap it at 16M floats (64 MB), so a
        // 316K-item catalogue ranks 53 users at a time instead of allocating 650 MB.
        let usersPerChunk = Swift.max(1, Swift.min(usersPerChunk, (1 << 24) / Swift.max(1, itemCount)))
        var scores = [Float](repeating: 0, count: usersPerChunk * itemCount)
        var start = 0
        while start < users.count {
            let range = start..<min(start + usersPerChunk, users.count)
            let rows = Tensor(shape: [range.count, d], data: Array(userRows.data[(range.lowerBound * d)..<(range.upperBound * d)]))
            rows.data.withUnsafeBufferPointer { u in
                items.data.withUnsafeBufferPointer { it in
                    scores.withUnsafeMutableBufferPointer { s in
                        // scores (chunk, I) = U_chunk (chunk, d) · Items(I, d)ᵀ
                        BLAS.gemm(transposeA: false, transposeB: true, m: range.count, n: itemCount, k: d,
                                  a: u.baseAddress!, b: it.baseAddress!, c: s.baseAddress!)
                        for (r, user) in users[range].enumerated() {
                            let row = UnsafeBufferPointer(rebasing: s[(r * itemCount)..<((r + 1) * itemCount)])
                            metrics.addUser(scores: row, exclude: mask.row(Int(user)), positives: targets.row(Int(user)))
                        }
                    }
                }
            }
            start += usersPerChunk
            WorkProgress.advance()
        }
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
    /// yardstick printed beside a ranking model; a next-item run ranks it by its own protocol,
    /// `TrainingRun.popularity`).
    public func popularityBaseline(ks: [Int]) -> [String: Double] {
        let pop = PopularityRanker(trainItems: split.train.items, itemCount: itemCount).scores()
        // Popularity as rank-1 embeddings: every user (1) · item (popularity).
        let users = Tensor(shape: [userCount, 1], repeating: 1)
        let items = Tensor(shape: [itemCount, 1], data: pop)
        return evaluate(.test, users: users, items: items, ks: ks)
    }
}
