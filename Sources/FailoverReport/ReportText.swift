import FailoverModel
import Foundation

/// Text shared by all report formats: durations with units, verdict words, assertion
/// outcomes ("expected … , was … at the deadline") and the environment line.
///
/// Every number is formatted with integer arithmetic so output is identical on every machine.
public enum ReportText {
    /// `ns` divided by `divisor`, rounded half away from zero to `decimals` places.
    /// With `trim`, trailing zeros (and a trailing point) are removed.
    static func decimal(_ value: Int64, divisor: Int64, decimals: Int, trim: Bool) -> String {
        let negative = value < 0
        let magnitude = value.magnitude
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let unsignedDivisor = divisor.magnitude
        // Rounded value in units of 1/scale.
        let scaled = (magnitude * scale + unsignedDivisor / 2) / unsignedDivisor
        let whole = scaled / scale
        var fraction = decimals > 0 ? String(scaled % scale) : ""
        while fraction.count < decimals { fraction = "0" + fraction }
        if trim {
            while fraction.hasSuffix("0") { fraction.removeLast() }
        }
        let sign = negative && scaled != 0 ? "-" : ""
        return fraction.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(fraction)"
    }

    /// Milliseconds with up to three decimals and the unit: `512.3 ms`, `0.25 ms`, `1300 ms`.
    public static func milliseconds(nanoseconds: Int64) -> String {
        decimal(nanoseconds, divisor: 1_000_000, decimals: 3, trim: true) + " ms"
    }

    /// Milliseconds as a bare number with up to three decimals (`512.3`), for tables and axes.
    public static func millisecondsNumber(nanoseconds: Int64) -> String {
        decimal(nanoseconds, divisor: 1_000_000, decimals: 3, trim: true)
    }

    /// Seconds with exactly two decimals and the unit: `1.23 s`.
    public static func seconds(nanoseconds: Int64) -> String {
        decimal(nanoseconds, divisor: 1_000_000_000, decimals: 2, trim: false) + " s"
    }

    /// Seconds with exactly three decimals, no unit (JUnit `time` attributes).
    public static func junitSeconds(nanoseconds: Int64) -> String {
        decimal(nanoseconds, divisor: 1_000_000_000, decimals: 3, trim: false)
    }

    /// `later - earlier` in nanoseconds (negative if `later` is earlier).
    static func span(from earlier: MonotonicInstant, to later: MonotonicInstant) -> Int64 {
        Int64(bitPattern: later.nanoseconds &- earlier.nanoseconds)
    }

    /// `PASS`, `FAIL`, `ERROR`, `SKIP`.
    public static func word(_ verdict: Verdict) -> String {
        switch verdict {
        case .passed: "PASS"
        case .failed: "FAIL"
        case .errored: "ERROR"
        case .skipped: "SKIP"
        }
    }

    /// The deadline as a phrase: `within 500 ms`, `within 1300 ms (derived from bond timers,
    /// incl. 1000 ms timing allowance)`.
    public static func deadline(_ deadline: DeadlineRecord) -> String {
        var notes: [String] = []
        if deadline.source == "derived" {
            notes.append("derived from bond timers")
        } else if deadline.source != "playbook" {
            notes.append("source: \(deadline.source)")
        }
        if deadline.allowanceNanoseconds != 0 {
            notes.append("incl. \(milliseconds(nanoseconds: deadline.allowanceNanoseconds)) timing allowance")
        }
        let base = "within \(milliseconds(nanoseconds: deadline.nanoseconds))"
        return notes.isEmpty ? base : "\(base) (\(notes.joined(separator: ", ")))"
    }

    /// What was expected, with its time bounds: `eth1 within 500 ms`, `eth1 not before 450 ms
    /// within 700 ms`, `eth0 throughout 2000 ms`, `never eth1 for 2000 ms`.
    public static func expectation(_ assertion: AssertionRecord) -> String {
        let timing = assertion.timing
        if let timing, let window = timing.windowNanoseconds {
            switch timing.mode {
            case "throughout": return "\(assertion.expected) throughout \(milliseconds(nanoseconds: window))"
            case "never": return "never \(assertion.expected) for \(milliseconds(nanoseconds: window))"
            default: break
            }
        }
        let lower = timing?.notBeforeNanoseconds.map { " not before \(milliseconds(nanoseconds: $0))" } ?? ""
        if let deadline = assertion.deadline {
            return "\(assertion.expected)\(lower) \(Self.deadline(deadline))"
        }
        return "\(assertion.expected)\(lower) (checked once)"
    }

    /// True for `throughout` / `never` assertions: a window, not a deadline.
    static func isWindow(_ assertion: AssertionRecord) -> Bool {
        assertion.timing?.mode == "throughout" || assertion.timing?.mode == "never"
    }

    /// The outcome of one assertion in one line, with expected vs actual in the text itself,
    /// e.g. `expected eth1 within 500 ms, was eth0 at the deadline`. Expected, actual and the
    /// assertion's message each appear once: a message that restates them is not repeated.
    public static func outcome(_ assertion: AssertionRecord) -> String {
        let expected = expectation(assertion)
        switch assertion.verdict {
        case .passed:
            var text = "expected \(expected), was \(assertion.actual)"
            if let satisfied = assertion.satisfiedAt, !isWindow(assertion) {
                text += " after \(milliseconds(nanoseconds: span(from: assertion.started, to: satisfied)))"
            }
            return ([text] + [note(assertion)].compactMap { $0 }).joined(separator: "; ")
        case .failed:
            let text =
                "expected \(expected), was \(assertion.actual)"
                + (assertion.deadline == nil || isWindow(assertion) ? "" : " at the deadline")
            return ([text] + [remark(assertion)].compactMap { $0 }).joined(separator: "; ")
        case .errored:
            return "could not check (expected \(assertion.expected), was \(assertion.actual)): "
                + (note(assertion) ?? "no reason recorded")
        case .skipped:
            return "skipped (expected \(expected))" + (note(assertion).map { ": \($0)" } ?? "")
        }
    }

    /// What an outcome says beyond expected, actual and deadline: for a failed deadline, when the
    /// condition held after all (late, or not for long); then the note. nil when there is nothing.
    public static func remark(_ assertion: AssertionRecord) -> String? {
        var parts: [String] = []
        // The runner's own message (timeline verdicts) already says when the condition held and
        // which bound it broke; this reconstruction is for records that carry no such message.
        let explained = assertion.timing?.fromTimeline == true && assertion.message != nil
        if assertion.verdict == .failed, !explained, !isWindow(assertion),
            let deadline = assertion.deadline, let satisfied = assertion.satisfiedAt
        {
            let after = span(from: assertion.started, to: satisfied)
            if after > deadline.nanoseconds {
                parts.append(
                    "it first held after \(milliseconds(nanoseconds: after))"
                        + " (\(milliseconds(nanoseconds: after - deadline.nanoseconds)) late)")
            } else {
                parts.append("it held after \(milliseconds(nanoseconds: after)) but did not stay")
            }
        }
        if let note = note(assertion) { parts.append(note) }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// The assertion's message without what expected and actual already say: every restatement
    /// `expected <expected>…, was <actual>[ at the deadline]` is cut out, and a message that is
    /// only the actual or the expected value is dropped. nil when nothing is left.
    public static func note(_ assertion: AssertionRecord) -> String? {
        guard var text = assertion.message?.trimmingSeparators(), !text.isEmpty else { return nil }
        let was = "was \(assertion.actual)"
        while let start = text.range(of: "expected \(assertion.expected)"),
            let actual = text.range(of: was, range: start.upperBound..<text.endIndex)
        {
            var end = actual.upperBound
            if text[end...].hasPrefix(" at the deadline") {
                end = text.index(end, offsetBy: " at the deadline".count)
            }
            let before = String(text[..<start.lowerBound]).trimmingSeparators()
            let after = String(text[end...]).trimmingSeparators()
            text = [before, after].filter { !$0.isEmpty }.joined(separator: "; ")
        }
        if text == assertion.actual || text == assertion.expected || text.isEmpty { return nil }
        return text
    }

    /// The text with every control character (C0 including tab and newline, DEL, C1) written as
    /// `\u{XX}`, so one record can never break a line-oriented format or drive a terminal.
    public static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value < 0x20 || (0x7F...0x9F).contains(value) {
                let digits = String(value, radix: 16, uppercase: true)
                out += "\\u{" + (digits.count < 2 ? "0" + digits : digits) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `Playbooks/x.yaml:14:7` or nil.
    static func location(_ location: SourceLocation?) -> String? {
        location?.description
    }

    /// The one-line environment statement every report carries: kernel, host or VM,
    /// accelerator and timing allowance (always stated, also when 0).
    public static func environment(_ environment: EnvironmentRecord) -> String {
        "kernel \(environment.kernel), \(executionText(environment)), \(allowanceText(environment))"
    }

    /// `host`, `vm (tcg)`, `vm (kvm)`; `accelerator none` when not given.
    static func executionText(_ environment: EnvironmentRecord) -> String {
        if let accelerator = environment.accelerator, !accelerator.isEmpty {
            return "\(environment.execution), accelerator \(accelerator)"
        }
        return "\(environment.execution), accelerator none"
    }

    /// `timing allowance 0 ms` or `timing allowance 1000 ms (TCG: …)`.
    static func allowanceText(_ environment: EnvironmentRecord) -> String {
        var text = "timing allowance \(milliseconds(nanoseconds: environment.timingAllowanceNanoseconds))"
        if let reason = environment.timingAllowanceReason, !reason.isEmpty {
            text += " (\(reason))"
        }
        return text
    }

    /// Counts of playbook verdicts.
    struct Tally: Sendable, Equatable {
        var passed = 0
        var failed = 0
        var errored = 0
        var skipped = 0

        mutating func add(_ verdict: Verdict) {
            switch verdict {
            case .passed: passed += 1
            case .failed: failed += 1
            case .errored: errored += 1
            case .skipped: skipped += 1
            }
        }

        init() {}

        init(_ verdicts: some Sequence<Verdict>) {
            for verdict in verdicts { add(verdict) }
        }

        /// `N passed, N failed, N errored, N skipped`.
        var line: String { "\(passed) passed, \(failed) failed, \(errored) errored, \(skipped) skipped" }
    }

    /// True when the runs ran on more than one distinct kernel (a matrix).
    static func isMatrix(_ runs: [RunRecord]) -> Bool {
        Set(runs.map(\.environment.kernel)).count > 1 || runs.count > 1
    }

    /// Playbook name, plus ` [kernel K]` in a matrix.
    static func playbookTitle(_ playbook: PlaybookRecord, run: RunRecord, matrix: Bool) -> String {
        matrix ? "\(playbook.name) [kernel \(run.environment.kernel)]" : playbook.name
    }

    /// Assertions grouped by their `expect` step, in step order.
    static func assertionsByStep(_ playbook: PlaybookRecord) -> [(stepIndex: Int, assertions: [AssertionRecord])] {
        var order: [Int] = []
        var groups: [Int: [AssertionRecord]] = [:]
        for assertion in playbook.assertions {
            if groups[assertion.stepIndex] == nil { order.append(assertion.stepIndex) }
            groups[assertion.stepIndex, default: []].append(assertion)
        }
        return order.sorted().map { ($0, groups[$0] ?? []) }
    }

    /// The worst verdict of a group (passed for an empty group).
    static func worst(_ assertions: [AssertionRecord]) -> Verdict {
        assertions.map(\.verdict).max() ?? .passed
    }
}

extension String {
    /// Without leading and trailing spaces, newlines, `;`, `,` and `:` (what is left around a
    /// phrase cut out of a message).
    fileprivate func trimmingSeparators() -> String {
        let separators: Set<Character> = [" ", "\t", "\n", ";", ",", ":"]
        var slice = Substring(self)
        while let first = slice.first, separators.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, separators.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
