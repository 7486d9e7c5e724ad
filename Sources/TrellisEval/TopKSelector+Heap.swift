// MARK: Ordering

extension TopKSelector {
    /// Whether candidate 1 ranks strictly below candidate 2: lower score, or equal score and
    /// higher id, with NaN below every number. Total, so heap order is deterministic.
    @inline(__always)
    static func isWorse(_ score1: Float, _ id1: Int32, than score2: Float, _ id2: Int32) -> Bool {
        if score1.isNaN || score2.isNaN {
            if score1.isNaN && score2.isNaN { return id1 > id2 }
            return score1.isNaN
        }
        if score1 == score2 { return id1 > id2 }
        return score1 < score2
    }
}

// MARK: Heap operations (root = worst kept candidate)

extension TopKSelector {
    /// Adds a candidate while the heap is below capacity.
    mutating func push(score: Float, id: Int32) {
        heapScores.append(score)
        heapIDs.append(id)
        siftUp(from: heapIDs.count - 1)
    }

    /// Replaces the worst kept candidate with a better newcomer.
    mutating func replaceRoot(score: Float, id: Int32) {
        heapScores[0] = score
        heapIDs[0] = id
        siftDown(from: 0, count: heapIDs.count)
    }

    /// Heap-sorts in place: repeatedly moving the worst to the back leaves the best in front,
    /// then hands the ids out. O(k log k), independent of the item count.
    mutating func drainBestFirst() -> [Int32] {
        var remaining = heapIDs.count
        while remaining > 1 {
            remaining -= 1
            heapScores.swapAt(0, remaining)
            heapIDs.swapAt(0, remaining)
            siftDown(from: 0, count: remaining)
        }
        return heapIDs
    }

    private mutating func siftUp(from start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.isWorse(heapScores[child], heapIDs[child], than: heapScores[parent], heapIDs[parent]) else { return }
            heapScores.swapAt(child, parent)
            heapIDs.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(from start: Int, count: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            var worst = left
            let right = left + 1
            if right < count && Self.isWorse(heapScores[right], heapIDs[right], than: heapScores[left], heapIDs[left]) {
                worst = right
            }
            guard Self.isWorse(heapScores[worst], heapIDs[worst], than: heapScores[parent], heapIDs[parent]) else { return }
            heapScores.swapAt(worst, parent)
            heapIDs.swapAt(worst, parent)
            parent = worst
        }
    }
}
