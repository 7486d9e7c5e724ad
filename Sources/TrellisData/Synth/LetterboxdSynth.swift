import Foundation
import TrellisCore

/// A rating graph with the statistics of seed 004's Letterboxd crawl, drawn reproducibly from a
/// seed: 11,061 users, 142,374 movies, 17,793,097 ratings of 0.5-5.0 in half stars at scale 1.
/// `scale` F multiplies users and movies by F and ratings by F², so the density (1.13%) and the
/// shapes stay; every movie has at least 5 ratings, hence F >= 0.05.
///
///     activity    a user's count ~ lognormal (sigma 1): heavy-tailed, mean E / U (about 1,609)
///     popularity  a movie's weight ~ 1 / (rank + 20)^0.9 (Zipf), after 5 ratings each
///     taste       s(u, i) = 3.4 + b_u + b_i + p_u · q_i     b ~ N(0, 0.35²), p, q in R^8, p·q sd 0.45
///     rating      clip(round to half stars(s + e), 0.5, 5)   e ~ N(0, 0.55²)
///     time        per user from a start in 2015-2023, exponential gaps (mean one day)
///
/// The planted structure fixes the best any model can do: the noise floor is the RMSE of the
/// Bayes predictor E[rating | s(u, i)], computed exactly per rating (`floorRMSE`).
public struct LetterboxdSynth: Sendable {
    public static let fullUsers = 11_061, fullMovies = 142_374, fullRatings = 17_793_097
    public static let scales: ClosedRange<Double> = 0.05...4
    static let mean: Float = 3.4, biasSD: Float = 0.35, tasteSD: Float = 0.45, noiseSD: Float = 0.55, factors = 8

    public let users: Int, movies: Int, ratingCount: Int
    public let seed: UInt64

    public init(scale: Double, seed: UInt64) {
        precondition(Self.scales.contains(scale), "LetterboxdSynth: scale \(scale) outside \(Self.scales)")
        users = Int((Double(Self.fullUsers) * scale).rounded())
        movies = Int((Double(Self.fullMovies) * scale).rounded())
        ratingCount = Int((Double(Self.fullRatings) * scale * scale).rounded())
        self.seed = seed
    }

    /// The drawn ratings, grouped by user, each user's in time order.
    public struct Ratings: Sendable {
        public var users: [Int32], movies: [Int32]
        /// Half stars: 1 (0.5) ... 10 (5.0).
        public var halfStars: [UInt8]
        /// Unix seconds.
        public var timestamps: [Int64]
        /// RMSE of E[rating | planted score], and of the mean rating.
        public var floorRMSE: Double, meanRMSE: Double
    }

    public func generate() -> Ratings {
        let activity = userCounts()
        let popularity = AliasSampler(weights: (0..<movies).map { 1 / Foundation.pow(Double($0) + 20, 0.9) })
        // Movie ids are a shuffled popularity order, so id says nothing about popularity.
        var rng = SeededGenerator(seed: seed, stream: [0x6D6F_7669])  // "movi"
        var movieOfRank = (0..<movies).map { Int32($0) }
        rng.shuffle(&movieOfRank)
        let reserved = reservedRaters(activity)

        var out = Ratings(users: [], movies: [], halfStars: [], timestamps: [], floorRMSE: 0, meanRMSE: 0)
        for list in [\Ratings.users, \Ratings.movies] { out[keyPath: list].reserveCapacity(ratingCount) }
        out.halfStars.reserveCapacity(ratingCount)
        out.timestamps.reserveCapacity(ratingCount)
        var seen = [Int32](repeating: -1, count: movies)   // user that last took each movie
        var picks: [Int32] = []
        for u in 0..<users {
            var urng = SeededGenerator(seed: seed, stream: [0x7573_6572, UInt64(u)])  // "user"
            picks.removeAll(keepingCapacity: true)
            for m in reserved[u] { seen[Int(m)] = Int32(u); picks.append(m) }
            while picks.count < activity[u] {
                let m = movieOfRank[popularity.draw(using: &urng)]
                if seen[Int(m)] != Int32(u) { seen[Int(m)] = Int32(u); picks.append(m) }
            }
            urng.shuffle(&picks)
            var t = Int64(1_420_070_400 + urng.nextInt(below: 9 * 365 * 86_400))  // 2015-01-01 + up to 9 years
            for m in picks {
                out.users.append(Int32(u))
                out.movies.append(m)
                t += Int64(-86_400 * Foundation.log(1 - urng.nextDouble()))
                out.timestamps.append(t)
            }
        }
        rate(&out)
        return out
    }

    /// Ratings per user: lognormal weights scaled to `ratingCount` in total, each between 1 and
    /// a quarter of the movies, the rounding remainder handed out one by one.
    func userCounts() -> [Int] {
        var rng = SeededGenerator(seed: seed, stream: [0x6163_7469])  // "acti"
        let weights = (0..<users).map { _ in Foundation.exp(Double(rng.nextNormal())) }
        let total = weights.reduce(0, +), cap = max(1, movies / 4)
        var counts = weights.map { min(cap, max(1, Int(Double(ratingCount) * $0 / total))) }
        var left = ratingCount - counts.reduce(0, +), u = 0
        precondition(users * cap >= ratingCount, "LetterboxdSynth: \(ratingCount) ratings do not fit \(users) users x \(cap)")
        while left != 0 {
            if left > 0, counts[u] < cap { counts[u] += 1; left -= 1 }
            if left < 0, counts[u] > 1 { counts[u] -= 1; left += 1 }
            u = (u + 1) % users
        }
        return counts
    }

    /// Five distinct raters per movie, drawn by activity among users with room left: every
    /// movie is rated at least five times.
    func reservedRaters(_ counts: [Int]) -> [[Int32]] {
        var rng = SeededGenerator(seed: seed, stream: [0x7265_7365])  // "rese"
        let byActivity = AliasSampler(weights: counts.map(Double.init))
        var reserved = [[Int32]](repeating: [], count: users)
        precondition(5 * movies <= ratingCount && users >= 5, "LetterboxdSynth: too few ratings for 5 per movie")
        for m in 0..<movies {
            var chosen: [Int] = []
            while chosen.count < 5 {
                let u = byActivity.draw(using: &rng)
                if reserved[u].count < counts[u], !chosen.contains(u) { chosen.append(u) }
            }
            for u in chosen { reserved[u].append(Int32(m)) }
        }
        return reserved
    }

    /// Draws every rating from the planted taste and noise, and the two reference RMSEs.
    func rate(_ out: inout Ratings) {
        var rng = SeededGenerator(seed: seed, stream: [0x7461_7374])  // "tast"
        let k = Self.factors, factorSD = (Self.tasteSD / Float(k).squareRoot()).squareRoot()
        let userBias = (0..<users).map { _ in rng.nextNormal() * Self.biasSD }
        let movieBias = (0..<movies).map { _ in rng.nextNormal() * Self.biasSD }
        let p = (0..<(users * k)).map { _ in rng.nextNormal() * factorSD }
        let q = (0..<(movies * k)).map { _ in rng.nextNormal() * factorSD }
        var noise = SeededGenerator(seed: seed, stream: [0x6E6F_6973])  // "nois"
        var floorSquares = 0.0, sum = 0.0, squares = 0.0
        out.halfStars = [UInt8](repeating: 0, count: out.users.count)
        for e in 0..<out.users.count {
            let u = Int(out.users[e]), m = Int(out.movies[e])
            var s = Self.mean + userBias[u] + movieBias[m]
            for j in 0..<k { s += p[u * k + j] * q[m * k + j] }
            let half = min(10, max(1, Int(((s + noise.nextNormal() * Self.noiseSD) * 2).rounded())))
            out.halfStars[e] = UInt8(half)
            let r = Double(half) / 2, miss = r - Self.expectedRating(score: Double(s))
            floorSquares += miss * miss
            sum += r
            squares += r * r
        }
        let n = Double(max(1, out.users.count)), mean = sum / n
        out.floorRMSE = (floorSquares / n).squareRoot()
        out.meanRMSE = max(0, squares / n - mean * mean).squareRoot()
    }

    /// E[rating | s]: the half-star bins' probabilities under s + N(0, noise²), ends clipped.
    static func expectedRating(score s: Double) -> Double {
        let sd = Double(noiseSD) * 2.squareRoot()
        func below(_ x: Double) -> Double { 0.5 * erfc(-(x - s) / sd) }  // P(s + e < x)
        var expected = 0.0, lower = 0.0
        for half in 1...10 {
            let upper = half == 10 ? 1 : below((Double(half) + 0.5) / 2)
            expected += Double(half) / 2 * (upper - lower)
            lower = upper
        }
        return expected
    }
}
