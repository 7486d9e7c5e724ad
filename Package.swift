// swift-tools-version: 6.0
//
// The folder layout is the architecture (see README.md, "Layout"):
//   C shims (COpenBLAS, CZeroMQ, CLZ4, CDeflate, CZlib, CHalf), CKernels (element-wise kernels)
//     ->  TrellisCore (RNG, shared utilities)
//   TrellisTensor (tensors, autograd, optimizers)   TrellisData (graph store, loaders, splits)
//   TrellisEval (ranking and rating metrics)   TrellisModels (BPR-MF, LightGCN)
//   TrellisCheckpoint (safetensors files, crash-safe checkpoint store)
//   TrellisWire (frames, codecs; no sockets)  ->  TrellisTransport (ZeroMQ sockets)
//   TrellisTraining (config, trainer, benchmarks)  ->  trellis (command-line tool)
import PackageDescription

/// Numeric kernels are compiled optimised even in debug builds: a debug `-Onone` loop over
/// float buffers is 20-50x slower, which would make the learning tests crawl.
/// `TRELLIS_CPU=native swift build -c release` (or an LLVM CPU name Swift accepts, such as `haswell`,
/// `znver4`; not `x86-64-v3`) compiles them for that CPU, wider vectors included; the default is baseline x86-64,
/// a binary any x86-64 host runs (see README, "SASRec (`trellis bench sasrec`)").
let cpu = Context.environment["TRELLIS_CPU"].map { ["-target-cpu", $0] } ?? []
let optimisedKernels: [SwiftSetting] = [.unsafeFlags(["-O"] + cpu)]

let package = Package(
    name: "Trellis",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "trellis", targets: ["trellis"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // MARK: C shims (only the wrapper targets import these)
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZeroMQ", pkgConfig: "libzmq", providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CMetis", providers: [.apt(["libmetis-dev"])]),
        .systemLibrary(name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CGlibcMalloc"),
        .systemLibrary(name: "CHalf"),
        // Element-wise kernels for three instruction sets, one chosen at start (its header says how).
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),

        // MARK: Layers
        .target(name: "TrellisCore", dependencies: ["CGlibcMalloc"], swiftSettings: optimisedKernels),
        .target(name: "TrellisTensor", dependencies: ["CKernels", "COpenBLAS", "TrellisCore"], swiftSettings: optimisedKernels),
        .target(name: "TrellisData", dependencies: ["TrellisCore"], swiftSettings: optimisedKernels),
        .target(name: "TrellisEval", dependencies: ["TrellisCore"], swiftSettings: optimisedKernels),
        .target(name: "TrellisGraph", dependencies: ["CMetis", "TrellisCore", "TrellisData"], swiftSettings: optimisedKernels),
        .target(name: "TrellisCheckpoint", dependencies: ["CZlib", "TrellisCore", "TrellisTensor"], swiftSettings: optimisedKernels),
        .target(name: "TrellisModels", dependencies: ["TrellisTensor", "TrellisData", "TrellisGraph"], swiftSettings: optimisedKernels),
        .target(name: "TrellisWire", dependencies: ["CLZ4", "CDeflate", "CHalf", "TrellisCore"], swiftSettings: optimisedKernels),
        .target(name: "TrellisTransport", dependencies: [
            "CZeroMQ", "TrellisWire",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: optimisedKernels),
        .target(name: "TrellisTraining", dependencies: [
            "TrellisTensor", "TrellisData", "TrellisEval", "TrellisModels",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: optimisedKernels),
        .target(name: "TrellisCluster", dependencies: [
            "TrellisTraining", "TrellisGraph", "TrellisModels", "TrellisTensor", "TrellisData",
            "TrellisWire", "TrellisTransport", "TrellisCheckpoint",
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: optimisedKernels),
        .executableTarget(name: "trellis", dependencies: [
            "TrellisTraining", "TrellisCluster",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: Tests
        .target(name: "TestSupport", dependencies: ["TrellisCore", "TrellisTensor"], path: "Tests/TestSupport"),
        .testTarget(name: "TrellisCoreTests", dependencies: ["TrellisCore", "TestSupport"]),
        .testTarget(name: "TrellisTensorTests", dependencies: ["CKernels", "TrellisTensor", "TrellisCore", "TestSupport"]),
        .testTarget(name: "TrellisDataTests", dependencies: ["TrellisData", "TrellisCore", "TestSupport"]),
        .testTarget(name: "TrellisEvalTests", dependencies: ["TrellisEval"]),
        .testTarget(name: "TrellisGraphTests", dependencies: ["TrellisGraph", "TrellisData", "TrellisCore", "TestSupport"]),
        .testTarget(name: "TrellisModelsTests", dependencies: ["TrellisModels", "TrellisData", "TrellisGraph", "TrellisTensor", "TestSupport"]),
        .testTarget(name: "TrellisTrainingTests", dependencies: ["TrellisTraining", "TrellisData", "TrellisModels", "TestSupport"]),
        .testTarget(name: "TrellisClusterTests", dependencies: ["TrellisCluster", "TrellisTraining", "TrellisGraph", "TrellisModels", "TrellisData", "TrellisTransport", "TrellisWire", "TrellisCheckpoint", "TestSupport",
                                                             .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "TrellisCLITests", dependencies: ["trellis", "TrellisCluster", "TrellisCore", "TrellisTensor", "TrellisTraining", "TrellisTransport", "TrellisWire", "TestSupport"]),
        .testTarget(name: "TrellisCheckpointTests", dependencies: ["TrellisCheckpoint", "TrellisTensor", "TrellisCore"]),
        .testTarget(name: "TrellisWireTests", dependencies: ["TrellisWire", "TrellisCore", "CZlib"]),
        .testTarget(name: "TrellisTransportTests", dependencies: ["TrellisTransport", "TrellisWire"]),
    ],
    swiftLanguageModes: [.v5]
)
