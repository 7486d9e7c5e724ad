/// The on-disk layouts `InteractionLoader` understands.
public enum InteractionFormat: String, Sendable, Equatable, CaseIterable {
    /// RecBole atomic `.inter`: tab-separated, `name:type` header, `user_id`/`item_id`
    /// required, `rating`/`timestamp` (float) optional.
    case recboleAtomic
    /// MovieLens 100K `u.data` / `u1.base` / `u1.test`: `user\titem\trating\ttimestamp`, no header.
    case movielensUData
    /// MovieLens 1M/10M `ratings.dat`: `user::item::rating::timestamp`, no header.
    case movielensDat
    /// MovieLens 20M/25M/latest `ratings.csv`: header `userId,movieId,rating,timestamp`.
    case movielensCSV

    /// The rating scale the format's publisher declares, or nil where the file says nothing:
    /// MovieLens 100K/1M/10M rate in whole stars 1-5, the CSV releases in half stars 0.5-5.
    public var ratingScale: ClosedRange<Double>? {
        switch self {
        case .recboleAtomic: return nil
        case .movielensUData, .movielensDat: return 1...5
        case .movielensCSV: return 0.5...5
        }
    }

    /// The format implied by `path`'s file name, or nil if it is not recognised.
    ///
    /// `*.inter` is RecBole; `u.data`, `*.base`, `*.test` are MovieLens 100K; `*.dat` is
    /// MovieLens `::`; `*.csv` is MovieLens CSV.
    public static func infer(path: String) -> InteractionFormat? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        if name.hasSuffix(".inter") { return .recboleAtomic }
        if name == "u.data" || name.hasSuffix(".base") || name.hasSuffix(".test") { return .movielensUData }
        if name.hasSuffix(".dat") { return .movielensDat }
        if name.hasSuffix(".csv") { return .movielensCSV }
        return nil
    }
}
