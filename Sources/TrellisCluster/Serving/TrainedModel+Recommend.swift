import TrellisData
import TrellisEval
import TrellisGraph
import TrellisTensor
import TrellisTraining

/// Top-K items for one user, scored and ranked the way the run's evaluation ranks them:
///
///     link_prediction   score_i = <out_user[u], out_item[i]>        (the ranking evaluation's gemm)
///     rating            score_i = μ + model.score(out_user[u], out_item[i])   (a predicted rating)
///     next_item         score_i = <state after the user's last items, out_item[i]>   (TrainedModel+Sequence)
///
/// then the items in the mask are skipped and the best K kept by `TopKSelector` (higher score
/// first, ties to the lower item id), as `RankingMetrics` does.
extension TrainedModel {
    /// Which of the user's items are not recommended again.
    public enum Exclusion: String, CaseIterable, Sendable {
        /// Training and validation items: what the test evaluation masks (the default).
        case seen
        /// Every item of the user in the data, test items included.
        case all
    }

    /// One recommended item: its raw id, row, and score.
    public struct Recommendation: Sendable, Equatable {
        public let item: String
        public let row: Int32
        public let score: Float
    }

    /// The row of raw user id `raw`; an unknown id is an error naming the data file.
    public func userRow(_ raw: String) throws -> Int32 {
        guard let row = dataset.split.train.userIDs.id(of: raw) else {
            let examples = dataset.split.train.userIDs.raws.prefix(3).joined(separator: ", ")
            throw ServingError("user \"\(raw.prefix(80))\": not in \(config.data.path) (\(dataset.userCount) users; raw ids look like \(examples))")
        }
        return row
    }

    /// The row of raw item id `raw`; an unknown id is an error naming the data file.
    public func itemRow(_ raw: String) throws -> Int32 {
        guard let row = dataset.split.train.itemIDs.id(of: raw) else {
            let examples = dataset.split.train.itemIDs.raws.prefix(3).joined(separator: ", ")
            throw ServingError("item \"\(raw.prefix(80))\": not in \(config.data.path) (\(dataset.itemCount) items; raw ids look like \(examples))")
        }
        return row
    }

    /// Where raw item `item` stands for raw user `user`: its score, and its rank among the
    /// items `exclusion` leaves (1 = first; nil when the item itself is excluded), in the
    /// order `recommend` lists them.
    public func standing(user: String, item: String, exclude exclusion: Exclusion = .seen) throws -> (score: Float, rank: Int?, candidates: Int) {
        let u = try userRow(user), i = try itemRow(item)
        let scores = self.scores(user: u)
        let excluded = Set(excludedItems(user: u, exclusion))
        let candidates = scores.count - excluded.count
        guard !excluded.contains(i) else { return (scores[Int(i)], nil, candidates) }
        let s = scores[Int(i)]
        var ahead = 0
        for (j, t) in scores.enumerated() where !excluded.contains(Int32(j)) && (t > s || (t == s && j < Int(i))) { ahead += 1 }
        return (s, ahead + 1, candidates)
    }

    /// Every item's score for user row `user` ((items) floats).
    public func scores(user: Int32) -> [Float] {
        if let model = sequenceModel { return sequenceScores(user: user, model: model) }
        let users = outputs[GraphTopology.user], items = outputs[GraphTopology.item]
        let itemCount = items.shape[0], d = items.shape[1]
        let u = users.rows([user])  // (1, d)
        guard config.task.kind == .rating else {
            var scores = [Float](repeating: 0, count: itemCount)
            u.data.withUnsafeBufferPointer { up in
                items.data.withUnsafeBufferPointer { ip in
                    scores.withUnsafeMutableBufferPointer { s in
                        // scores (1, I) = u (1, d) · Items (I, d)ᵀ
                        BLAS.gemm(transposeA: false, transposeB: true, m: 1, n: itemCount, k: d,
                                  a: up.baseAddress!, b: ip.baseAddress!, c: s.baseAddress!)
                    }
                }
            }
            return scores
        }
        var scores: [Float] = []
        scores.reserveCapacity(itemCount)
        let userVariable = Variable(u), itemVariable = Variable(items)
        for start in stride(from: 0, to: itemCount, by: 8192) {
            let rows = Array(Int32(start)..<Int32(min(itemCount, start + 8192)))
            let pairs = scorer.score(users: userVariable.gather(rows: [Int32](repeating: 0, count: rows.count)),
                                     items: itemVariable.gather(rows: rows)).value.data  // (chunk)
            scores.append(contentsOf: pairs.map { $0 + run.plan.ratingMean })
        }
        return scores
    }

    /// The user's items that `exclusion` keeps out, sorted ascending.
    public func excludedItems(user: Int32, _ exclusion: Exclusion) -> [Int32] {
        let seen = Array(dataset.trainAndValidItems.row(Int(user)))
        guard exclusion == .all else { return seen }
        return Array(Set(seen).union(dataset.testItems.row(Int(user)))).sorted()
    }

    /// The top `k` items for raw user id `user`, best first.
    public func recommend(user raw: String, k: Int, exclude exclusion: Exclusion = .seen) throws -> [Recommendation] {
        guard k >= 1 else { throw ServingError("--k \(k): expected at least 1") }
        let user = try userRow(raw)
        let scores = self.scores(user: user)
        var selector = TopKSelector(k: k)
        let top = scores.withUnsafeBufferPointer { selector.select(scores: $0, exclude: excludedItems(user: user, exclusion)[...]) }
        let itemIDs = dataset.split.train.itemIDs
        return top.map { Recommendation(item: itemIDs.raw(of: $0), row: $0, score: scores[Int($0)]) }
    }
}
