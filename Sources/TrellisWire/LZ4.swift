import CLZ4

/// The LZ4 block format (liblz4), with the sizes a peer claims checked before any allocation.
///
/// Blocks carry no size of their own, so the caller stores the original size beside the
/// compressed bytes and passes it back, together with a limit it trusts, to `decompress`.
public enum LZ4 {
    /// The largest input LZ4 accepts (about 1.97 GiB).
    public static let maxInputSize = Int(LZ4_MAX_INPUT_SIZE)

    /// `bytes` compressed as one LZ4 block (default acceleration).
    public static func compress(_ bytes: [UInt8]) -> [UInt8] {
        precondition(bytes.count <= maxInputSize, "LZ4.compress: \(bytes.count) bytes exceeds \(maxInputSize)")
        let bound = Int(LZ4_compressBound(Int32(bytes.count)))
        return bytes.withUnsafeBufferPointer { src in
            [UInt8](unsafeUninitializedCapacity: max(bound, 1)) { dst, initialised in
                let written = src.baseAddress.map { base -> Int32 in
                    base.withMemoryRebound(to: CChar.self, capacity: src.count) { s in
                        dst.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bound) { d in
                            LZ4_compress_default(s, d, Int32(src.count), Int32(bound))
                        }
                    }
                } ?? emptyBlock(dst)
                // With dstCapacity >= compressBound, liblz4 guarantees success.
                precondition(written > 0, "LZ4_compress_default failed on \(src.count) bytes")
                initialised = Int(written)
            }
        }
    }

    /// The `originalSize` bytes that `bytes` decompresses to. Throws when `originalSize` is
    /// negative or above `maxSize` (checked before allocating), when the block is malformed,
    /// or when it decodes to any other length.
    public static func decompress(_ bytes: [UInt8], originalSize: Int, maxSize: Int,
                                  field: String = "lz4") throws -> [UInt8] {
        guard originalSize >= 0, originalSize <= maxSize, originalSize <= maxInputSize else {
            throw WireError.outOfRange(field, what: "decompressed size", found: "\(originalSize)",
                                       allowed: "0...\(min(maxSize, maxInputSize))")
        }
        guard !bytes.isEmpty, bytes.count <= Int(Int32.max) else {
            throw WireError.corrupt(field, "expected an LZ4 block, found \(bytes.count) bytes")
        }
        var produced: Int32 = -1
        let out = bytes.withUnsafeBufferPointer { src in
            // One spare byte so a block that would decode longer than claimed is caught as a
            // size mismatch, and so the buffer is never zero-sized.
            [UInt8](unsafeUninitializedCapacity: originalSize + 1) { dst, initialised in
                src.baseAddress!.withMemoryRebound(to: CChar.self, capacity: src.count) { s in
                    dst.baseAddress!.withMemoryRebound(to: CChar.self, capacity: originalSize + 1) { d in
                        produced = LZ4_decompress_safe(s, d, Int32(src.count), Int32(originalSize + 1))
                    }
                }
                initialised = max(Int(produced), 0)
            }
        }
        guard produced >= 0 else {
            throw WireError.corrupt(field, "malformed LZ4 block (\(bytes.count) bytes, liblz4 error \(produced))")
        }
        guard Int(produced) == originalSize else {
            throw WireError.mismatch(field, expected: "\(originalSize) decompressed bytes",
                                     found: Int(produced) > originalSize ? "more" : "\(produced)")
        }
        return out
    }

    // MARK: Internals

    /// The block for empty input (a single zero token), for arrays with no base address.
    private static func emptyBlock(_ dst: UnsafeMutableBufferPointer<UInt8>) -> Int32 {
        dst[0] = 0
        return 1
    }
}
