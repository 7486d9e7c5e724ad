import XCTest
@testable import TrellisData

final class TokenInternerTests: XCTestCase {
    private func intern(_ tokens: [String], into map: IDMap = IDMap()) -> (ids: [Int32], map: IDMap) {
        var interner = TokenInterner(map)
        let ids = tokens.map { token in
            Array(token.utf8).withUnsafeBufferPointer { interner.intern($0) }
        }
        return (ids, interner.map)
    }

    /// The byte caches must never merge spellings the map keeps apart.
    func testCachesKeepDistinctSpellingsApart() {
        let tokens = ["7", "007", "07", "0", "7", "00", "16777215", "16777216", "99999999", "123456789",
                      "abc", "abcdefg", "abcdefgh", "abc", "-7", "+7", "7 ", "0", "16777216", "007"]
        let (ids, map) = intern(tokens)
        XCTAssertEqual(map.raws, ["7", "007", "07", "0", "00", "16777215", "16777216", "99999999", "123456789",
                                  "abc", "abcdefg", "abcdefgh", "-7", "+7", "7 "])
        for (token, id) in zip(tokens, ids) {
            XCTAssertEqual(map.raw(of: id), token)
        }
    }

    func testExistingMapIDsAreKept() {
        let (ids, map) = intern(["5", "x", "9"], into: IDMap(["9", "x"]))
        XCTAssertEqual(ids, [2, 1, 0])
        XCTAssertEqual(map.raws, ["9", "x", "5"])
    }
}
