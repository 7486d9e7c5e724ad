import TrellisCore
import XCTest

final class SipHashTests: XCTestCase {
    /// The reference vectors of the SipHash paper (key 00 01 … 0f, messages 00 01 … of 0, 8 and 16 bytes).
    func testReferenceVectors() {
        let key = SipHash(k0: 0x0706050403020100, k1: 0x0f0e0d0c0b0a0908)
        XCTAssertEqual(key.tag([]), 0x726fdb47dd0e0e31)
        XCTAssertEqual(key.tag([0x0706050403020100]), 0x93f5f5799a932462)
        XCTAssertEqual(key.tag([0x0706050403020100, 0x0f0e0d0c0b0a0908]), 0x3f2acc7f57c29bdb)
    }

    func testAnotherKeyGivesAnotherTag() {
        XCTAssertNotEqual(SipHash(k0: 1, k1: 2).tag([1, 2, 3]), SipHash(k0: 1, k1: 3).tag([1, 2, 3]))
    }
}
