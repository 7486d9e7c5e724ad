/// Which held-out part a run evaluates: validation (masking training items) during training,
/// test (masking training and validation items) for the restored best weights.
public enum EvaluationPart: String, Sendable { case valid, test }

/// The median of `values` (mean of the middle two for an even count); 0 when empty.
public func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let s = values.sorted(), n = s.count
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}
