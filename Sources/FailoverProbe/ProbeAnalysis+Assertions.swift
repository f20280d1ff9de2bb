public import FailoverModel

extension ProbeAnalysis {
    /// Evaluates a probe assertion (`loss`, `outage`, `reordered`) against one stream's report.
    /// - Parameters:
    ///   - currentStep: 0-based index of the `expect` step (resolves `ProbeScope.lastFault`).
    /// - Returns: nil when the assertion is not a probe assertion or names another probe;
    ///   otherwise whether it holds, the actual value as text, and why the scope is unmeasured
    ///   (then the verdict is *errored*, whatever `holds` says: nothing was measured).
    public static func evaluate(_ assertion: Assertion, report: ProbeReport, currentStep: Int) -> (
        holds: Bool, actual: String, unmeasured: String?
    )? {
        let probe: String
        let scope: ProbeScope
        switch assertion {
        case .loss(let name, let s, _), .reordered(let name, let s, _), .outage(let name, let s, _, _):
            probe = name
            scope = s
        default:
            return nil
        }
        guard probe == report.probe else { return nil }
        let figures: ProbeFigures
        switch scope {
        case .run:
            figures = report.run
        case .lastFault:
            guard let window = report.windows.last(where: { ($0.stepIndex ?? Int.max) < currentStep }) else {
                return (false, "no fault step before step \(currentStep + 1)", nil)
            }
            figures = window
        case .step(let index):
            guard let window = report.window(step: index) else {
                return (false, "step \(index + 1) opened no fault window", nil)
            }
            figures = window
        }
        let unmeasured =
            figures.measured
            ? nil
            : "nothing measured in the \(scope) of probe \(report.probe) (\(report.direction)): "
                + (figures.unmeasuredReason ?? "unmeasured")
        guard let (holds, actual) = value(assertion, figures: figures) else { return nil }
        return (holds, actual + (figures.measured ? "" : " (unmeasured)"), unmeasured)
    }

    private static func value(_ assertion: Assertion, figures: ProbeFigures) -> (Bool, String)? {
        switch assertion {
        case .loss(_, _, let comparison):
            var actual = "\(figures.lost) lost of \(figures.sent)"
            if figures.sendErrors > 0 { actual += " (\(figures.sendErrors) send errors, not counted)" }
            return (comparison.holds(for: figures.lost), actual)
        case .reordered(_, _, let comparison):
            return (comparison.holds(for: figures.reordered), "\(figures.reordered) reordered of \(figures.received)")
        case .outage(_, _, let method, let atMost):
            let figure = method == .timestamp ? figures.failoverTime : figures.lossTime
            let holds = figures.recovered && figure.nanoseconds <= atMost.totalNanoseconds
            return (holds, figure.description)
        default:
            return nil
        }
    }

    /// Evaluates against every report of the probe (one per direction): holds when all hold.
    /// - Returns: nil when no report belongs to the assertion's probe.
    public static func evaluate(_ assertion: Assertion, reports: [ProbeReport], currentStep: Int) -> (
        holds: Bool, actual: String, unmeasured: String?
    )? {
        var results: [(ProbeDirection, Bool, String)] = []
        var unmeasured: [String] = []
        for report in reports {
            if let result = evaluate(assertion, report: report, currentStep: currentStep) {
                results.append((report.direction, result.holds, result.actual))
                if let reason = result.unmeasured { unmeasured.append(reason) }
            }
        }
        guard !results.isEmpty else { return nil }
        let reason = unmeasured.isEmpty ? nil : unmeasured.joined(separator: "; ")
        if results.count == 1 { return (results[0].1, results[0].2, reason) }
        return (
            results.allSatisfy(\.1), results.map { "\($0.0): \($0.2)" }.joined(separator: "; "), reason
        )
    }

    /// Why verdicts on these reports cannot be trusted, if they cannot (path not clean before the
    /// first fault, receiver overflow). The runner turns this into verdict *errored*.
    public static func measurementProblem(_ reports: [ProbeReport]) -> String? {
        var problems: [String] = []
        for report in reports {
            if report.pathNotClean {
                problems.append(
                    "probe \(report.probe) (\(report.direction)): path not clean, "
                        + "\(report.beforeFirstFault.lost) lost before the first fault")
            }
            if let error = report.measurementError {
                problems.append("probe \(report.probe) (\(report.direction)): \(error)")
            }
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// The loss of every flow of the probe's forward stream in `scope` (a flow without loss
    /// counts 0), and why it cannot be trusted (an unmeasured scope, no such window).
    public static func flowLoss(_ reports: [ProbeReport], scope: ProbeScope, currentStep: Int) -> (
        flows: [FlowLoss]?, actual: String, problem: String?
    ) {
        guard let report = reports.first(where: { $0.direction == .forward }) else {
            return (nil, "n/a", "the probe has no forward stream")
        }
        let figures: ProbeFigures
        switch scope {
        case .run: figures = report.run
        case .lastFault:
            guard let window = report.windows.last(where: { ($0.stepIndex ?? Int.max) < currentStep }) else {
                return (nil, "n/a", "no fault step before step \(currentStep + 1)")
            }
            figures = window
        case .step(let index):
            guard let window = report.window(step: index) else {
                return (nil, "n/a", "step \(index + 1) opened no fault window")
            }
            figures = window
        }
        if !figures.measured {
            return (nil, "n/a", "nothing measured in the \(scope): " + (figures.unmeasuredReason ?? "unmeasured"))
        }
        let flows =
            figures.lostPerFlow
            ?? report.sender.sourcePorts.enumerated().map { FlowLoss(flow: $0.offset, sourcePort: $0.element, lost: 0) }
        if figures.lost > 0 && figures.lostPerFlow == nil {
            return (nil, "n/a", "\(figures.lost) lost in the \(scope) but no per-flow figure (one flow?)")
        }
        return (flows, "\(figures.lost) lost of \(figures.sent)", nil)
    }
}
