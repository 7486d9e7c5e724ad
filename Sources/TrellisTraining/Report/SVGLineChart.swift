import Foundation

/// A line chart as inline SVG: one polyline (with a dot per point) per series, axes with
/// rounded ticks, a title and a legend. Everything is drawn from the numbers given; nothing is
/// fetched, so the page renders offline.
///
///     ┌ title ─────────────────────────────┐
///     │ y ticks ┊  series polylines        │   plot area: width − 70, height − 70
///     │         └──────────────────────────│
///     │            x ticks (epochs)        │
///     └ legend ────────────────────────────┘
public struct SVGLineChart {
    public struct Series {
        public let name: String
        public let points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    public let title: String
    public let xLabel: String
    public let series: [Series]
    public var width = 460.0, height = 280.0

    public init(title: String, xLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.series = series
    }

    /// Line colours, in series order (Okabe–Ito, readable by colour-blind viewers).
    static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

    /// The SVG element (`<svg …>…</svg>`), well-formed XML.
    public func render() -> String {
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let legendHeight = 16.0 * Double(series.count)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(Int(width))\" height=\"\(Int(height + legendHeight))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height + legendHeight))\" role=\"img\" aria-label=\"\(HTML.escape(title))\">"
        out += "<text x=\"\(Int(width / 2))\" y=\"16\" text-anchor=\"middle\" class=\"title\">\(HTML.escape(title))</text>"
        guard let xr = Self.range(finite.map(\.x)), let yr = Self.range(finite.map(\.y)) else {
            return out + "<text x=\"\(Int(width / 2))\" y=\"\(Int(height / 2))\" text-anchor=\"middle\">no data</text></svg>"
        }
        let (left, right, top, bottom) = (60.0, width - 12, 28.0, height - 40)
        let xTicks = Self.ticks(xr, count: 6, integers: true), yTicks = Self.ticks(yr, count: 5, integers: false)
        let x0 = min(xTicks.first!, xr.lowerBound), x1 = max(xTicks.last!, xr.upperBound)
        let y0 = min(yTicks.first!, yr.lowerBound), y1 = max(yTicks.last!, yr.upperBound)
        func px(_ x: Double) -> Double { left + (x - x0) / max(x1 - x0, 1e-12) * (right - left) }
        func py(_ y: Double) -> Double { bottom - (y - y0) / max(y1 - y0, 1e-12) * (bottom - top) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        for t in yTicks {
            out += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(right))\" y2=\"\(f(py(t)))\" class=\"grid\"/>"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(Self.label(t))</text>"
        }
        for t in xTicks {
            out += "<text x=\"\(f(px(t)))\" y=\"\(f(bottom + 16))\" text-anchor=\"middle\">\(Self.label(t))</text>"
        }
        out += "<line x1=\"\(f(left))\" y1=\"\(f(bottom))\" x2=\"\(f(right))\" y2=\"\(f(bottom))\" class=\"axis\"/>"
        out += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(bottom))\" class=\"axis\"/>"
        out += "<text x=\"\(f((left + right) / 2))\" y=\"\(f(bottom + 32))\" text-anchor=\"middle\">\(HTML.escape(xLabel))</text>"
        for (k, s) in series.enumerated() {
            let colour = Self.palette[k % Self.palette.count]
            let points = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            out += "<g class=\"series\" data-name=\"\(HTML.escape(s.name))\" data-points=\"\(points.count)\">"
            out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\""
                + points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ") + "\"/>"
            for p in points {
                out += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"2.5\" fill=\"\(colour)\">"
                    + "<title>\(HTML.escape(s.name)): \(Self.label(p.x)), \(String(format: "%.4g", p.y))</title></circle>"
            }
            out += "</g>"
            let ly = height + 16.0 * Double(k) + 4
            out += "<rect x=\"\(f(left))\" y=\"\(f(ly))\" width=\"12\" height=\"10\" fill=\"\(colour)\"/>"
            out += "<text x=\"\(f(left + 18))\" y=\"\(f(ly + 9))\">\(HTML.escape(s.name))</text>"
        }
        return out + "</svg>"
    }

    /// The closed range of `values`, widened when all are equal; nil when empty.
    static func range(_ values: [Double]) -> ClosedRange<Double>? {
        guard let lo = values.min(), let hi = values.max() else { return nil }
        return lo < hi ? lo...hi : (lo - max(abs(lo) * 0.05, 0.5))...(hi + max(abs(hi) * 0.05, 0.5))
    }

    /// About `count` ticks at a 1, 2 or 5 × 10^k step covering `r` (whole numbers when asked).
    static func ticks(_ r: ClosedRange<Double>, count: Int, integers: Bool) -> [Double] {
        let raw = (r.upperBound - r.lowerBound) / Double(max(1, count - 1))
        let magnitude = pow(10, floor(log10(raw)))
        var step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        if integers { step = max(1, step.rounded()) }
        let first = floor(r.lowerBound / step) * step
        return stride(from: first, through: r.upperBound + step * 0.999, by: step).map { $0 }
    }

    /// A tick label: integers bare, others with up to 4 significant digits.
    static func label(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : String(format: "%.4g", v)
    }
}

/// Escaping for text and attribute values in the report.
enum HTML {
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
