import Foundation

/// Attention heat-maps as one SVG: a square grid per head, row i (the position that reads)
/// against column j (the position read), shaded from white (0) to dark blue (the largest
/// weight of the map), with the items named along both axes. Drawn from the numbers alone.
public struct SVGHeatMap {
    public let title: String
    /// Axis labels, one per position (oldest first).
    public let labels: [String]
    /// maps[h][i][j]: head h's weight of position j for position i.
    public let maps: [[[Float]]]

    public init(title: String, labels: [String], maps: [[[Float]]]) {
        self.title = title
        self.labels = labels
        self.maps = maps
    }

    public var svg: String {
        let n = labels.count, cell = n > 30 ? 9.0 : 14.0, margin = 90.0, gap = 30.0
        let side = Double(n) * cell, width = margin + Double(maps.count) * (side + gap), height = margin + side + 40
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="8">
        <rect width="100%" height="100%" fill="white"/>
        <text x="10" y="18" font-size="13">\(escape(title))</text>

        """
        for (h, map) in maps.enumerated() {
            let left = margin + Double(h) * (side + gap), top = margin
            let peak = max(map.flatMap { $0 }.max() ?? 1, 1e-12)
            out += "<text x=\"\(left)\" y=\"\(top - 56)\" font-size=\"11\">head \(h)</text>\n"
            for (i, row) in map.enumerated() {
                for (j, w) in row.enumerated() where w > 0 {
                    let shade = Int((1 - Double(w / peak)) * 255)
                    out += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"rgb(%d,%d,255)\"><title>%@ reads %@: %.3f</title></rect>\n",
                                  left + Double(j) * cell, top + Double(i) * cell, cell, cell, shade, shade,
                                  escape(labels[i]), escape(labels[j]), Double(w))
                }
            }
            out += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#888\"/>\n", left, top, side, side)
            for (k, label) in labels.enumerated() {
                let c = Double(k) * cell + cell * 0.7
                out += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>\n", left - 3, top + c, escape(label))
                out += String(format: "<text transform=\"translate(%.1f,%.1f) rotate(-60)\">%@</text>\n", left + c, top - 3, escape(label))
            }
        }
        out += String(format: "<text x=\"10\" y=\"%.0f\">rows: the position that reads; columns: the position read (oldest first; causal, so j &lt;= i)</text>\n", height - 12)
        return out + "</svg>\n"
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
