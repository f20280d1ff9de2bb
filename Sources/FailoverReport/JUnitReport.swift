import FailoverModel

/// JUnit XML as Jenkins and GitLab read it, valid against the Jenkins junit-4 XSD (and so the
/// xUnit junit-10 one): `<testsuites>`, one `<testsuite>` per playbook per kernel, one
/// `<testcase>` per `expect` step, also for the steps never run after a failure (`<skipped/>`).
///
/// A testcase's `name` is the step's own text (`expect active_slave of h/bond0 is eth1`), with
/// ` #2`, ` #3` for a repeated text, so inserting a step renames no other test; its `classname`
/// is the playbook file relative to the invocation directory (an absolute path outside it: the
/// playbook's name), so test history survives a move of the workspace.
///
/// Failures carry expected vs actual, the deadline and the playbook location in the
/// `message` attribute itself; the element body details every assertion of the step.
/// Each suite's `<properties>` state kernel, execution, accelerator, timing allowance,
/// failover version and run ID; its `<system-out>` lists the steps and observations.
public enum JUnitReport {
    /// Renders the runs (one per kernel) as a JUnit XML document.
    /// - Parameter baseDirectory: the directory the playbook paths are made relative to (the
    ///   invocation's working directory); nil keeps relative paths and names absolute ones by
    ///   their playbook's name.
    public static func render(_ runs: [RunRecord], baseDirectory: String? = nil) -> String {
        let matrix = ReportText.isMatrix(runs)
        var suites: [Suite] = []
        for run in runs {
            for playbook in run.playbooks {
                suites.append(suite(playbook, run: run, matrix: matrix, baseDirectory: baseDirectory))
            }
        }
        var xml = XMLWriter()
        xml.line("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        let totalTime = suites.reduce(Int64(0)) { $0 + $1.nanoseconds }
        xml.open(
            "testsuites",
            [
                ("name", "failover"),
                ("tests", "\(suites.reduce(0) { $0 + $1.cases.count })"),
                ("failures", "\(suites.reduce(0) { $0 + $1.count(.failure) })"),
                ("errors", "\(suites.reduce(0) { $0 + $1.count(.error) })"),
                // No `skipped` here: the junit-4 and junit-10 schemas allow it only on <testsuite>.
                ("time", ReportText.junitSeconds(nanoseconds: totalTime)),
            ])
        for (index, suite) in suites.enumerated() {
            write(suite, id: index, into: &xml)
        }
        xml.close("testsuites")
        return xml.text
    }

    enum Outcome: Equatable {
        case passed
        case failure(message: String, body: String)
        case error(message: String, body: String)
        case skipped(message: String)

        var kind: Kind {
            switch self {
            case .passed: .passed
            case .failure: .failure
            case .error: .error
            case .skipped: .skipped
            }
        }
    }

    enum Kind { case passed, failure, error, skipped }

    struct Case {
        var name: String
        var classname: String
        var nanoseconds: Int64
        var outcome: Outcome
    }

    struct Suite {
        var name: String
        var timestamp: String
        var hostname: String
        var nanoseconds: Int64
        var properties: [(String, String)]
        var cases: [Case]
        var systemOut: String

        func count(_ kind: Kind) -> Int { cases.filter { $0.outcome.kind == kind }.count }
    }

    static func suite(_ playbook: PlaybookRecord, run: RunRecord, matrix: Bool, baseDirectory: String? = nil) -> Suite {
        let environment = run.environment
        var properties: [(String, String)] = [
            ("kernel", environment.kernel),
            ("execution", environment.execution),
            ("accelerator", environment.accelerator ?? "none"),
            ("timing_allowance_ns", "\(environment.timingAllowanceNanoseconds)"),
            ("timing_allowance", ReportText.milliseconds(nanoseconds: environment.timingAllowanceNanoseconds)),
            ("timing_allowance_reason", environment.timingAllowanceReason ?? "none"),
            ("failover_version", environment.failoverVersion),
            ("run_id", run.runID),
            ("playbook_file", playbook.file),
            ("playbook_verdict", playbook.verdict.rawValue),
        ]
        if let seed = playbook.seed { properties.append(("seed", seed)) }
        for timer in playbook.timers {
            properties.append(("timer \(timer.name)", "\(timer.milliseconds) ms"))
        }
        for probe in playbook.probes { properties += probeProperties(probe) }
        return Suite(
            name: ReportText.playbookTitle(playbook, run: run, matrix: matrix),
            timestamp: junitTimestamp(run.startedAt),
            hostname: environment.hostname,
            nanoseconds: ReportText.span(from: playbook.started, to: playbook.ended),
            properties: properties,
            cases: cases(playbook, classname: classname(playbook, baseDirectory: baseDirectory)),
            systemOut: systemOut(playbook, run: run))
    }

    /// The playbook file relative to `baseDirectory` (kept as is when relative already); an
    /// absolute path outside it gives the playbook's name.
    /// An instance of a `matrix:` playbook adds its parameters, ` [mode=balance-xor]`, so the
    /// instances of one file stay apart and keep their names from run to run.
    static func classname(_ playbook: PlaybookRecord, baseDirectory: String?) -> String {
        let file = playbook.file
        let instance = playbook.parameters.map { " [\($0.instanceLabel)]" } ?? ""
        guard file.hasPrefix("/") else { return file + instance }
        if let baseDirectory, !baseDirectory.isEmpty {
            let base = baseDirectory.hasSuffix("/") ? baseDirectory : baseDirectory + "/"
            if file.hasPrefix(base), file.count > base.count { return String(file.dropFirst(base.count)) + instance }
        }
        return playbook.name
    }

    /// One case per `expect` step (run or skipped); a `build` case for a playbook that errored
    /// before any step ran; a case for a non-`expect` step that failed or errored; a `playbook`
    /// case for a skipped playbook without assertions. Names are the steps' texts, made unique
    /// by occurrence (` #2`).
    static func cases(_ playbook: PlaybookRecord, classname: String? = nil) -> [Case] {
        let classname = classname ?? playbook.file
        let stepsByIndex = Dictionary(playbook.steps.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        var result: [(Int, Case)] = []
        let groups = ReportText.assertionsByStep(playbook)
        let assertionSteps = Set(groups.map(\.stepIndex))
        for group in groups {
            let step = stepsByIndex[group.stepIndex]
            let text = step?.text ?? "expect " + group.assertions.map(\.description).joined(separator: "; ")
            let first = group.assertions.map(\.started).min() ?? playbook.started
            let last = group.assertions.map(\.ended).max() ?? playbook.started
            result.append(
                (
                    group.stepIndex,
                    Case(
                        name: text, classname: classname, nanoseconds: ReportText.span(from: first, to: last),
                        outcome: outcome(group.assertions, step: step, playbook: playbook))
                ))
        }
        for step in playbook.steps where !assertionSteps.contains(step.index) {
            if step.verdict == .skipped && step.text.hasPrefix("expect ") {
                // Never run (an earlier step did not pass): still a test, reported as skipped.
                var message = "step \(step.index + 1): \(step.message ?? "not run")"
                if let location = step.location { message += " (\(location))" }
                result.append(
                    (
                        step.index,
                        Case(name: step.text, classname: classname, nanoseconds: 0, outcome: .skipped(message: message))
                    ))
                continue
            }
            guard step.verdict == .failed || step.verdict == .errored else { continue }
            var message = "step \(step.index + 1) \(step.verdict.rawValue): \(step.text)"
            if let detail = step.message { message += ": \(detail)" }
            if let location = step.location { message += " (\(location))" }
            result.append(
                (
                    step.index,
                    Case(
                        name: step.text, classname: classname,
                        nanoseconds: ReportText.span(from: step.started, to: step.ended),
                        outcome: .error(message: message, body: message))
                ))
        }
        var cases = result.sorted { $0.0 < $1.0 }.map(\.1)
        let hasError = cases.contains { $0.outcome.kind == .error }
        if playbook.verdict == .errored && !hasError {
            let message = "playbook errored: \(playbook.message ?? "no reason recorded")"
            // Before any step ran (steps absent or all skipped), the build broke.
            let ran = playbook.steps.contains { $0.verdict != .skipped }
            cases.insert(
                Case(
                    name: ran ? "run" : "build", classname: classname,
                    nanoseconds: ran ? 0 : ReportText.span(from: playbook.started, to: playbook.ended),
                    outcome: .error(message: message, body: message)),
                at: ran ? cases.count : 0)
        }
        if playbook.verdict == .skipped && cases.isEmpty {
            cases.append(
                Case(
                    name: "playbook", classname: classname, nanoseconds: 0,
                    outcome: .skipped(message: "playbook skipped: \(playbook.message ?? "no reason recorded")")))
        }
        if cases.isEmpty {
            // A playbook without expect steps still shows up (and fails if it failed).
            let outcome: Outcome =
                switch playbook.verdict {
                case .passed: .passed
                case .skipped: .skipped(message: playbook.message ?? "skipped")
                case .failed:
                    .failure(
                        message: playbook.message ?? "playbook failed", body: playbook.message ?? "playbook failed")
                case .errored:
                    .error(
                        message: playbook.message ?? "playbook errored", body: playbook.message ?? "playbook errored")
                }
            cases.append(
                Case(
                    name: "playbook", classname: classname,
                    nanoseconds: ReportText.span(from: playbook.started, to: playbook.ended), outcome: outcome))
        }
        return uniquelyNamed(cases)
    }

    /// The second and later cases of one name get ` #2`, ` #3`, … (a name already taken skips on).
    static func uniquelyNamed(_ cases: [Case]) -> [Case] {
        var taken = Set<String>()
        var seen: [String: Int] = [:]
        return cases.map { testcase in
            var renamed = testcase
            let count = (seen[testcase.name] ?? 0) + 1
            seen[testcase.name] = count
            if count > 1 || taken.contains(testcase.name) {
                var number = max(count, 2)
                while taken.contains("\(testcase.name) #\(number)") { number += 1 }
                renamed.name = "\(testcase.name) #\(number)"
            }
            taken.insert(renamed.name)
            return renamed
        }
    }

    static func outcome(_ assertions: [AssertionRecord], step: StepRecord?, playbook: PlaybookRecord) -> Outcome {
        let verdict = ReportText.worst(assertions)
        let relevant = assertions.filter { $0.verdict == verdict }
        let lines = relevant.map { assertion in
            var line = "\(assertion.description): \(ReportText.outcome(assertion))"
            if let location = assertion.location ?? step?.location { line += " (\(location))" }
            return line
        }
        let message = lines.joined(separator: " | ")
        var body: [String] = []
        for assertion in assertions {
            body.append("[\(ReportText.word(assertion.verdict))] \(assertion.description)")
            body.append("  expected: \(assertion.expected)")
            body.append("  actual:   \(assertion.actual)")
            if let deadline = assertion.deadline {
                body.append("  deadline: \(ReportText.deadline(deadline)), source \(deadline.source)")
            } else {
                body.append("  deadline: none (checked once)")
            }
            if let satisfied = assertion.satisfiedAt {
                let after = ReportText.span(from: assertion.started, to: satisfied)
                body.append("  held after: \(ReportText.milliseconds(nanoseconds: after))")
            } else {
                body.append("  held after: never")
            }
            if let location = assertion.location ?? step?.location { body.append("  at: \(location)") }
            if let note = ReportText.note(assertion) { body.append("  note: \(note)") }
        }
        if !playbook.timers.isEmpty {
            body.append(
                "timers: "
                    + playbook.timers.map { "\($0.name) = \($0.milliseconds) ms" }.joined(separator: ", "))
        }
        let text = body.joined(separator: "\n")
        switch verdict {
        case .passed: return .passed
        case .failed: return .failure(message: message, body: text)
        case .errored: return .error(message: message, body: text)
        case .skipped: return .skipped(message: message)
        }
    }

    static func systemOut(_ playbook: PlaybookRecord, run: RunRecord) -> String {
        var lines: [String] = []
        lines.append("\(playbook.name) (\(playbook.file)): \(playbook.verdict.rawValue)")
        if let message = playbook.message { lines.append("message: \(message)") }
        lines.append("environment: \(ReportText.environment(run.environment))")
        lines.append("times in ms since playbook start")
        // Steps and observations merged in time order (steps first at equal times).
        var events: [(time: MonotonicInstant, order: Int, line: String)] = []
        for step in playbook.steps {
            let offset = ReportText.millisecondsNumber(
                nanoseconds: ReportText.span(from: playbook.started, to: step.started))
            var line = "+\(offset) ms  step \(step.index + 1): \(step.text) [\(step.verdict.rawValue)]"
            if let acknowledged = step.acknowledged {
                let after = ReportText.span(from: step.started, to: acknowledged)
                line += " acknowledged after \(ReportText.milliseconds(nanoseconds: after))"
            }
            if let message = step.message { line += " - \(message)" }
            events.append((step.started, events.count, line))
        }
        for observation in playbook.observations {
            let offset = ReportText.millisecondsNumber(
                nanoseconds: ReportText.span(from: playbook.started, to: observation.time))
            events.append(
                (
                    observation.time, events.count,
                    "+\(offset) ms  \(observation.host)/\(observation.interface) \(observation.kind): \(observation.detail)"
                ))
        }
        events.sort { ($0.time, $0.order) < ($1.time, $1.order) }
        lines.append(contentsOf: events.map(\.line))
        return lines.joined(separator: "\n")
    }

    static func write(_ suite: Suite, id: Int, into xml: inout XMLWriter) {
        xml.open(
            "testsuite",
            [
                ("name", suite.name),
                ("id", "\(id)"),
                ("tests", "\(suite.cases.count)"),
                ("failures", "\(suite.count(.failure))"),
                ("errors", "\(suite.count(.error))"),
                ("skipped", "\(suite.count(.skipped))"),
                ("time", ReportText.junitSeconds(nanoseconds: suite.nanoseconds)),
                ("timestamp", suite.timestamp),
                ("hostname", suite.hostname),
            ])
        xml.open("properties", [])
        for (name, value) in suite.properties {
            xml.empty("property", [("name", name), ("value", value)])
        }
        xml.close("properties")
        for testcase in suite.cases {
            let attributes = [
                ("name", testcase.name), ("classname", testcase.classname),
                ("time", ReportText.junitSeconds(nanoseconds: testcase.nanoseconds)),
            ]
            switch testcase.outcome {
            case .passed:
                xml.empty("testcase", attributes)
            case .failure(let message, let body):
                xml.open("testcase", attributes)
                xml.element("failure", [("message", message), ("type", "AssertionFailed")], text: body)
                xml.close("testcase")
            case .error(let message, let body):
                xml.open("testcase", attributes)
                xml.element("error", [("message", message), ("type", "Error")], text: body)
                xml.close("testcase")
            case .skipped(let message):
                xml.open("testcase", attributes)
                xml.empty("skipped", [("message", message)])
                xml.close("testcase")
            }
        }
        xml.element("system-out", [], text: suite.systemOut)
        xml.close("testsuite")
    }

    /// JUnit wants `yyyy-MM-ddTHH:mm:ss` without zone; the record has ISO 8601 UTC.
    static func junitTimestamp(_ iso: String) -> String {
        var text = iso
        if text.hasSuffix("Z") { text.removeLast() }
        if let dot = text.firstIndex(of: ".") { text = String(text[..<dot]) }
        return text
    }
}

/// A minimal indenting XML writer; every value goes through `XMLText.escape`.
struct XMLWriter {
    private(set) var text = ""
    private var depth = 0

    mutating func line(_ raw: String) {
        text += String(repeating: "  ", count: depth) + raw + "\n"
    }

    private func attributes(_ pairs: [(String, String)]) -> String {
        pairs.map { " \($0.0)=\"\(XMLText.escape($0.1, attribute: true))\"" }.joined()
    }

    mutating func open(_ name: String, _ pairs: [(String, String)]) {
        line("<\(name)\(attributes(pairs))>")
        depth += 1
    }

    mutating func close(_ name: String) {
        depth -= 1
        line("</\(name)>")
    }

    mutating func empty(_ name: String, _ pairs: [(String, String)]) {
        line("<\(name)\(attributes(pairs))/>")
    }

    /// An element with text content written verbatim (escaped, not indented, so whitespace is kept).
    mutating func element(_ name: String, _ pairs: [(String, String)], text content: String) {
        line("<\(name)\(attributes(pairs))>\(XMLText.escape(content, attribute: false))</\(name)>")
    }
}

extension JUnitReport {
    /// `probe.p1.forward.sent` … and per fault window
    /// `probe.p1.forward.step3.failover_ms.timestamp` (values in ms with method and resolution).
    static func probeProperties(_ probe: ProbeRecord) -> [(String, String)] {
        let prefix = "probe.\(probe.probe).\(probe.direction)"
        var result: [(String, String)] = [
            ("\(prefix).rate_pps", "\(probe.rate)"),
            ("\(prefix).interval_ms", ReportText.millisecondsNumber(nanoseconds: probe.intervalNanoseconds)),
            ("\(prefix).sent", "\(probe.sent)"),
            ("\(prefix).received", "\(probe.received)"),
            ("\(prefix).lost", "\(probe.lost)"),
            ("\(prefix).duplicated", "\(probe.duplicated)"),
            ("\(prefix).reordered", "\(probe.reordered)"),
            ("\(prefix).send_errors", "\(probe.sendErrors)"),
            ("\(prefix).receiver_drops", "\(probe.receiverDrops)"),
            ("\(prefix).loss_periods", "\(probe.lossPeriodCount)"),
            ("\(prefix).lost_before_first_fault", "\(probe.lostBeforeFirstFault)"),
        ]
        if let minimum = probe.lossPeriodMinLength { result.append(("\(prefix).loss_period_min", "\(minimum)")) }
        if let maximum = probe.lossPeriodMaxLength { result.append(("\(prefix).loss_period_max", "\(maximum)")) }
        for window in probe.windows {
            let step = "\(prefix).step\(window.stepIndex + 1)"
            func time(_ record: ProbeTimeRecord) -> String {
                ReportText.millisecondsNumber(nanoseconds: record.nanoseconds)
                    + (record.lowerBound ? " (lower bound)" : "")
                    + " (\(record.method), resolution \(ReportText.milliseconds(nanoseconds: record.resolutionNanoseconds)))"
            }
            if window.measured == false {
                result.append(("\(step).measured", "false (\(ProbeText.unmeasuredText(window)))"))
            }
            result.append(("\(step).\(window.kind)_ms.timestamp", time(window.timestampTime)))
            result.append(("\(step).\(window.kind)_ms.loss", time(window.lossTime)))
            result.append(("\(step).lost", "\(window.lost)"))
            if let delay = window.additiveBackupDelay {
                result.append(("\(step).additive_backup_delay_ms", time(delay)))
            }
        }
        if let witness = probe.witness {
            result.append(("\(prefix).witness", witness.agrees ? "agrees" : "disagrees"))
            result.append(("\(prefix).witness.detail", witness.detail))
            result.append(("\(prefix).witness.file", witness.file))
        }
        if let error = probe.measurementError { result.append(("\(prefix).measurement_error", error)) }
        if let lateness = probe.senderMaxLatenessNanoseconds, let bound = probe.senderLatenessBoundNanoseconds {
            result.append(("\(prefix).sender_max_lateness_ms", ReportText.millisecondsNumber(nanoseconds: lateness)))
            result.append(("\(prefix).sender_lateness_bound_ms", ReportText.millisecondsNumber(nanoseconds: bound)))
        }
        return result
    }
}
