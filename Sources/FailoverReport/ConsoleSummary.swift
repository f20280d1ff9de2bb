import FailoverModel

/// The human summary printed at the end of a run (and written as `summary.txt`).
///
/// ```
/// failover 0.1.0 run 3f2a1c: kernel 6.18.0, host, accelerator none, timing allowance 0 ms
/// PASS   active-backup-pull  (3/3 assertions, 1.23 s)
/// FAIL   primary-reselect    (1/2 assertions, 0.84 s)
///          step 5 at x.yaml:14:7: active_slave of server/bond0 is eth1 within 500ms: expected eth1 within 500 ms, was eth0 at the deadline
/// 1 passed, 1 failed, 0 errored, 0 skipped
/// ```
/// The last line always has exactly the form `N passed, N failed, N errored, N skipped`
/// (counted over playbooks of all runs), so CI can read it.
public enum ConsoleSummary {
    /// Renders the summary; `color` adds ANSI colours to the verdict words only.
    public static func render(_ runs: [RunRecord], color: Bool) -> String {
        var lines: [String] = []
        var tally = ReportText.Tally()
        let matrix = ReportText.isMatrix(runs)
        for run in runs {
            let environment = run.environment
            lines.append(
                ReportText.printable(
                    "failover \(environment.failoverVersion) run \(run.runID) on \(environment.hostname): "
                        + ReportText.environment(environment)))
            let width = run.playbooks.map { ReportText.printable($0.name).count }.max() ?? 0
            for playbook in run.playbooks {
                tally.add(playbook.verdict)
                lines.append(contentsOf: playbookLines(playbook, width: width, color: color))
            }
            if matrix {
                // Deliberately not in the final line's form, so CI regexes match only the last line.
                let run = ReportText.Tally(run.playbooks.map(\.verdict))
                lines.append(
                    ReportText.printable(
                        "kernel \(environment.kernel): pass \(run.passed), fail \(run.failed), "
                            + "error \(run.errored), skip \(run.skipped)"))
            }
            if run.playbooks.isEmpty {
                lines.append("(no playbooks)")
            }
        }
        lines.append(tally.line)
        return lines.joined(separator: "\n") + "\n"
    }

    static func playbookLines(_ playbook: PlaybookRecord, width: Int, color: Bool) -> [String] {
        let word = ReportText.word(playbook.verdict)
        let padded = word + String(repeating: " ", count: max(0, 5 - word.count))
        let printableName = ReportText.printable(playbook.name)
        let name = printableName + String(repeating: " ", count: max(0, width - printableName.count))
        let passed = playbook.assertions.filter { $0.verdict == .passed }.count
        let duration = ReportText.seconds(nanoseconds: ReportText.span(from: playbook.started, to: playbook.ended))
        let head = paint(padded, playbook.verdict, color: color)
        var lines = ["\(head)  \(name)  (\(passed)/\(playbook.assertions.count) assertions, \(duration))"]
        let indent = "         "
        if playbook.verdict != .passed, let message = playbook.message, !message.isEmpty {
            lines.append(indent + ReportText.printable(message))
        }
        for assertion in playbook.assertions where assertion.verdict == .failed || assertion.verdict == .errored {
            var prefix = "step \(assertion.stepIndex + 1)"
            if let location = assertion.location { prefix += " at \(location)" }
            let label = assertion.verdict == .errored ? " [error]" : ""
            lines.append(
                indent
                    + ReportText.printable(
                        "\(prefix)\(label): \(assertion.description): \(ReportText.outcome(assertion))"))
        }
        let assertionSteps = Set(playbook.assertions.map(\.stepIndex))
        for step in playbook.steps
        where (step.verdict == .failed || step.verdict == .errored) && !assertionSteps.contains(step.index) {
            var prefix = "step \(step.index + 1)"
            if let location = step.location { prefix += " at \(location)" }
            let detail = step.message.map { ": \($0)" } ?? ""
            lines.append(indent + ReportText.printable("\(prefix) [\(step.verdict.rawValue)]: \(step.text)\(detail)"))
        }
        for probe in playbook.probes {
            lines.append(indent + ReportText.printable(ProbeText.totalsLine(probe)))
            for window in probe.windows {
                lines.append(indent + ReportText.printable(ProbeText.windowLine(probe, window, playbook: playbook)))
            }
        }
        return lines
    }

    static func paint(_ text: String, _ verdict: Verdict, color: Bool) -> String {
        guard color else { return text }
        let code =
            switch verdict {
            case .passed: "32"
            case .failed: "31"
            case .errored: "35"
            case .skipped: "33"
            }
        return "\u{1B}[1;\(code)m\(text)\u{1B}[0m"
    }
}
