/// Parsing and printing of durations as playbooks write them: `100ms`, `1.5s`, `2m`, `250us`.
extension Duration {
    /// Parses `<number><unit>` with unit `ns`, `us`, `ms`, `s` or `m`. Returns nil for anything else.
    public static func parse(playbookText text: String) -> Duration? {
        let trimmed = text.trimmingSpaces()
        let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60)]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            let number = String(trimmed.dropLast(suffix.count))
            guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }),
                let value = Double(number), value.isFinite, value >= 0
            else { return nil }
            let nanoseconds = (value * scale * 1e9).rounded()
            guard nanoseconds < 9.2e18 else { return nil }
            return .nanoseconds(Int64(nanoseconds))
        }
        return nil
    }

    /// Total nanoseconds (durations here are small and non-negative).
    public var totalNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Milliseconds as a Double, for reports.
    public var milliseconds: Double { Double(totalNanoseconds) / 1e6 }

    /// The shortest playbook spelling: `500ms`, `1.5s`, `250us`.
    public var playbookText: String {
        let ns = totalNanoseconds
        if ns == 0 { return "0s" }
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 {
            if ns >= 1_000_000_000 { return "\(trimDecimal(Double(ns) / 1e9))s" }
            return "\(ns / 1_000_000)ms"
        }
        if ns % 1000 == 0 { return "\(ns / 1000)us" }
        return "\(ns)ns"
    }
}

private func trimDecimal(_ value: Double) -> String {
    var text = String(value)
    while text.contains(".") && (text.hasSuffix("0") || text.hasSuffix(".")) { text.removeLast() }
    return text
}

extension String {
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return String(slice)
    }
}
