import XCTest
import TrellisTraining

/// Parses `yaml` as `c.yaml`, expecting a `ConfigError` on `key` whose text contains `text`.
func assertConfigError(_ yaml: String, key: String, contains text: String,
                       file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try TrainingConfig.parse(yaml: yaml, file: "c.yaml"), file: file, line: line) { error in
        guard let e = error as? ConfigError else { return XCTFail("not a ConfigError: \(error)", file: file, line: line) }
        XCTAssertEqual(e.file, "c.yaml", file: file, line: line)
        XCTAssertEqual(e.key, key, file: file, line: line)
        XCTAssert(e.description.contains(text), "\(e.description) lacks '\(text)'", file: file, line: line)
    }
}
