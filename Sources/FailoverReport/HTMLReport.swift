import FailoverModel

/// A single self-contained HTML page: inline CSS and inline SVG, no scripts, no external
/// resources. Per playbook: the verdict, the environment statement, a timeline (steps as
/// marks on a time axis in ms since playbook start, assertion deadlines as bars, observations
/// as points on per-interface lanes), and tables of steps, assertions and observations.
public enum HTMLReport {
    /// Renders the runs (one per kernel) as one HTML page.
    public static func render(_ runs: [RunRecord]) -> String {
        let matrix = ReportText.isMatrix(runs)
        let overall = runs.map(\.verdict).max() ?? .passed
        let tally = ReportText.Tally(runs.flatMap { $0.playbooks.map(\.verdict) })
        var html: [String] = []
        html.append("<!DOCTYPE html>")
        html.append("<html lang=\"en\">")
        html.append("<head>")
        html.append("<meta charset=\"utf-8\">")
        html.append("<title>failover report: \(ReportText.word(overall)) (\(esc(tally.line)))</title>")
        html.append("<style>\n\(css)</style>")
        html.append("</head>")
        html.append("<body>")
        html.append("<h1>failover report \(badge(overall))</h1>")
        html.append("<p class=\"tally\">\(esc(tally.line))</p>")
        html.append(legend)
        var anchor = 0
        for run in runs {
            html.append(contentsOf: runSection(run, matrix: matrix, anchor: &anchor))
        }
        html.append("</body>")
        html.append("</html>")
        return html.joined(separator: "\n") + "\n"
    }

    static let css = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; background: #fff; }
        h1, h2, h3 { font-weight: 600; }
        table { border-collapse: collapse; margin: 0.5em 0 1em; }
        th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; vertical-align: top; }
        th { background: #f2f2f2; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        code, .mono { font-family: ui-monospace, monospace; font-size: 13px; }
        .badge { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; font-weight: 700; }
        .passed { background: #2e7d32; } .failed { background: #c62828; }
        .errored { background: #6a1b9a; } .skipped { background: #9e9e9e; }
        tr.row-failed td { background: #fdecea; } tr.row-errored td { background: #f3e5f5; }
        tr.row-skipped td { color: #777; }
        .env { color: #444; }
        .message { border-left: 4px solid #c62828; padding-left: 8px; }
        section.playbook { border-top: 2px solid #ddd; margin-top: 1.5em; }
        svg { border: 1px solid #ddd; background: #fcfcfc; }
        svg text { font: 11px ui-monospace, monospace; fill: #333; }

        """

    /// How to read the timelines.
    static let legend = """
        <p class="legend">Timeline: numbered squares mark step starts (colour = step verdict: \
        <span class="badge passed">PASS</span> <span class="badge failed">FAIL</span> \
        <span class="badge errored">ERROR</span> <span class="badge skipped">SKIP</span>), a short black tick \
        the kernel's acknowledgement; each assertion has a row with a bar from its start to its deadline \
        (to its end when checked once) and a black bar when the condition held; dots are observations \
        on per-interface lanes (<span style="color:#1565c0">link</span>, \
        <span style="color:#ef6c00">active_slave</span>, <span style="color:#00897b">slave</span>, \
        <span style="color:#6d4c41">mac/address</span>, <span style="color:#616161">other</span>). \
        Hover any mark for details. Times are ms since the playbook started (CLOCK_MONOTONIC).</p>
        """

    static func runSection(_ run: RunRecord, matrix: Bool, anchor: inout Int) -> [String] {
        let environment = run.environment
        var html: [String] = []
        html.append("<section class=\"run\">")
        html.append(
            "<h2>Run <code>\(esc(run.runID))</code> on kernel \(esc(environment.kernel)) \(badge(run.verdict))</h2>")
        html.append("<p class=\"env\">\(esc(ReportText.environment(environment)))</p>")
        html.append("<table class=\"environment\">")
        let rows: [(String, String)] = [
            ("kernel", environment.kernel),
            ("execution", environment.execution),
            ("accelerator", environment.accelerator ?? "none"),
            (
                "timing allowance",
                ReportText.milliseconds(nanoseconds: environment.timingAllowanceNanoseconds)
                    + " (\(environment.timingAllowanceNanoseconds) ns)"
            ),
            ("allowance reason", environment.timingAllowanceReason ?? "none"),
            ("hostname", environment.hostname),
            ("failover version", environment.failoverVersion),
            ("started (UTC)", run.startedAt),
        ]
        for (key, value) in rows {
            html.append("<tr><th>\(esc(key))</th><td>\(esc(value))</td></tr>")
        }
        html.append("</table>")
        html.append("<table class=\"overview\">")
        html.append(
            "<tr><th>playbook</th><th>verdict</th><th>assertions passed</th><th>duration</th><th>file</th></tr>")
        var anchors: [String] = []
        for playbook in run.playbooks {
            anchor += 1
            let id = "pb\(anchor)"
            anchors.append(id)
            let passed = playbook.assertions.filter { $0.verdict == .passed }.count
            let duration = ReportText.seconds(nanoseconds: ReportText.span(from: playbook.started, to: playbook.ended))
            html.append(
                "<tr class=\"row-\(playbook.verdict.rawValue)\"><td><a href=\"#\(id)\">\(esc(playbook.name))</a></td>"
                    + "<td>\(badge(playbook.verdict))</td><td class=\"num\">\(passed)/\(playbook.assertions.count)</td>"
                    + "<td class=\"num\">\(duration)</td><td class=\"mono\">\(esc(playbook.file))</td></tr>")
        }
        html.append("</table>")
        for (playbook, id) in zip(run.playbooks, anchors) {
            html.append(contentsOf: playbookSection(playbook, run: run, matrix: matrix, id: id))
        }
        html.append("</section>")
        return html
    }

    static func playbookSection(_ playbook: PlaybookRecord, run: RunRecord, matrix: Bool, id: String) -> [String] {
        let start = playbook.started
        func offset(_ instant: MonotonicInstant) -> String {
            ReportText.millisecondsNumber(nanoseconds: ReportText.span(from: start, to: instant))
        }
        var html: [String] = []
        html.append("<section class=\"playbook\" id=\"\(id)\">")
        html.append(
            "<h3>\(esc(ReportText.playbookTitle(playbook, run: run, matrix: matrix))) \(badge(playbook.verdict))</h3>")
        var facts = "file <code>\(esc(playbook.file))</code>"
        if let seed = playbook.seed { facts += ", seed: \(esc(seed))" }
        facts +=
            ", duration \(ReportText.seconds(nanoseconds: ReportText.span(from: playbook.started, to: playbook.ended)))"
        html.append("<p>\(facts)</p>")
        html.append("<p class=\"env\">\(esc(ReportText.environment(run.environment)))</p>")
        if let message = playbook.message, !message.isEmpty {
            html.append("<p class=\"message\">\(esc(message))</p>")
        }
        if !playbook.timers.isEmpty {
            let timers = playbook.timers.map { "\(esc($0.name)) = \($0.milliseconds) ms" }.joined(separator: ", ")
            html.append("<p>Timers deadlines were derived from: \(timers)</p>")
        }
        if !playbook.steps.isEmpty || !playbook.observations.isEmpty || !playbook.assertions.isEmpty {
            html.append("<h4>Timeline (ms since playbook start)</h4>")
            html.append(Timeline(playbook: playbook).svg())
        }
        html += CarpGroupTimeline.html(playbook)
        if !playbook.steps.isEmpty {
            html.append("<h4>Steps</h4>")
            html.append("<table class=\"steps\">")
            html.append(
                "<tr><th>#</th><th>step</th><th>start (ms)</th><th>duration (ms)</th><th>acknowledged after (ms)</th>"
                    + "<th>verdict</th><th>location</th><th>message</th></tr>")
            for step in playbook.steps {
                let acknowledged = step.acknowledged.map {
                    ReportText.millisecondsNumber(nanoseconds: ReportText.span(from: step.started, to: $0))
                }
                html.append(
                    "<tr class=\"row-\(step.verdict.rawValue)\"><td class=\"num\">\(step.index + 1)</td>"
                        + "<td class=\"mono\">\(esc(step.text))</td><td class=\"num\">\(offset(step.started))</td>"
                        + "<td class=\"num\">\(ReportText.millisecondsNumber(nanoseconds: ReportText.span(from: step.started, to: step.ended)))</td>"
                        + "<td class=\"num\">\(acknowledged ?? "")</td><td>\(badge(step.verdict))</td>"
                        + "<td class=\"mono\">\(esc(step.location?.description ?? ""))</td><td>\(esc(stepNote(step)))</td></tr>"
                )
            }
            html.append("</table>")
        }
        if !playbook.assertions.isEmpty {
            html.append("<h4>Assertions</h4>")
            html.append("<table class=\"assertions\">")
            html.append(
                "<tr><th>step</th><th>assertion</th><th>expected</th><th>actual</th><th>deadline</th>"
                    + "<th>held after (ms)</th><th>verdict</th><th>note</th><th>location</th></tr>")
            for assertion in playbook.assertions {
                let deadline = assertion.deadline.map { ReportText.deadline($0) } ?? "checked once"
                let held = assertion.satisfiedAt.map {
                    ReportText.millisecondsNumber(nanoseconds: ReportText.span(from: assertion.started, to: $0))
                }
                html.append(
                    "<tr class=\"row-\(assertion.verdict.rawValue)\"><td class=\"num\">\(assertion.stepIndex + 1)</td>"
                        + "<td class=\"mono\">\(esc(assertion.description))</td><td>\(esc(assertion.expected))</td>"
                        + "<td>\(esc(assertion.actual))</td><td>\(esc(deadline))</td>"
                        + "<td class=\"num\">\(held ?? "never")</td><td>\(badge(assertion.verdict))</td>"
                        + "<td>\(esc(ReportText.note(assertion) ?? ""))</td>"
                        + "<td class=\"mono\">\(esc(assertion.location?.description ?? ""))</td></tr>")
            }
            html.append("</table>")
        }
        if !playbook.probes.isEmpty {
            html.append("<table class=\"probes\">")
            html.append(
                "<tr><th>probe</th><th>step</th><th>event</th><th>outage, timestamp method (ms)</th>"
                    + "<th>outage, loss method (ms)</th><th>resolution (ms)</th><th>lost</th>"
                    + "<th>reordered</th><th>additive delay (ms)</th></tr>")
            for probe in playbook.probes {
                let name = "\(esc(probe.probe)) \(esc(probe.direction))"
                html.append(
                    "<tr><td class=\"mono\">\(name)</td><td>run</td><td>\(probe.rate) pps, \(probe.sent) sent</td>"
                        + "<td></td><td></td><td></td><td class=\"num\">\(probe.lost)</td>"
                        + "<td class=\"num\">\(probe.reordered)</td><td></td></tr>")
                for window in probe.windows {
                    let time = window.timestampTime
                    if window.measured == false {
                        html.append(
                            "<tr class=\"unmeasured\"><td class=\"mono\">\(name)</td>"
                                + "<td>\(window.stepIndex + 1): \(esc(ProbeText.stepText(window, playbook: playbook)))</td>"
                                + "<td>\(esc(window.kind))</td><td colspan=\"3\"><b>not measured</b>: "
                                + "\(esc(ProbeText.unmeasuredText(window)))</td>"
                                + "<td class=\"num\">\(window.lost)</td><td class=\"num\">\(window.reordered)</td><td></td></tr>"
                        )
                        continue
                    }
                    html.append(
                        "<tr><td class=\"mono\">\(name)</td>"
                            + "<td>\(window.stepIndex + 1): \(esc(ProbeText.stepText(window, playbook: playbook)))</td>"
                            + "<td>\(esc(window.kind))</td>"
                            + "<td class=\"num\">\(time.lowerBound ? "≥ " : "")"
                            + "\(ReportText.millisecondsNumber(nanoseconds: time.nanoseconds))</td>"
                            + "<td class=\"num\">\(ReportText.millisecondsNumber(nanoseconds: window.lossTime.nanoseconds))</td>"
                            + "<td class=\"num\">±\(ReportText.millisecondsNumber(nanoseconds: time.resolutionNanoseconds))</td>"
                            + "<td class=\"num\">\(window.lost)</td><td class=\"num\">\(window.reordered)</td>"
                            + "<td class=\"num\">"
                            + "\(window.additiveBackupDelay.map { ReportText.millisecondsNumber(nanoseconds: $0.nanoseconds) } ?? "")"
                            + "</td></tr>")
                }
                if let witness = probe.witness {
                    html.append(
                        "<tr><td class=\"mono\">\(name)</td><td colspan=\"8\">witness \(esc(witness.tool)) "
                            + "\(witness.agrees ? "agrees" : "<b>disagrees</b>"): \(esc(witness.detail))</td></tr>")
                }
            }
            html.append("</table>")
        }
        if !playbook.observations.isEmpty {
            html.append("<details><summary>Observations (\(playbook.observations.count))</summary>")
            html.append("<table class=\"observations\">")
            html.append("<tr><th>time (ms)</th><th>interface</th><th>kind</th><th>detail</th></tr>")
            for observation in playbook.observations {
                html.append(
                    "<tr><td class=\"num\">\(offset(observation.time))</td>"
                        + "<td class=\"mono\">\(esc(observation.host))/\(esc(observation.interface))</td>"
                        + "<td>\(esc(observation.kind))</td><td>\(esc(observation.detail))</td></tr>")
            }
            html.append("</table>")
            html.append("</details>")
        }
        html.append("</section>")
        return html
    }

    /// The step's message, and for an accepted `set` the value the kernel read back.
    static func stepNote(_ step: StepRecord) -> String {
        let readBack = step.readBack.map { "read back: \($0.isEmpty ? "\"\"" : $0)" }
        return [step.message, readBack].compactMap { $0 }.joined(separator: "; ")
    }

    static func badge(_ verdict: Verdict) -> String {
        "<span class=\"badge \(verdict.rawValue)\">\(ReportText.word(verdict))</span>"
    }

    static func esc(_ text: String) -> String { XMLText.escape(text, attribute: true) }

    static func colour(_ verdict: Verdict) -> String {
        switch verdict {
        case .passed: "#2e7d32"
        case .failed: "#c62828"
        case .errored: "#6a1b9a"
        case .skipped: "#9e9e9e"
        }
    }
}

/// The inline SVG timeline of one playbook.
struct Timeline {
    let playbook: PlaybookRecord
    static let width: Int64 = 960
    static let labelWidth: Int64 = 190
    static let rightMargin: Int64 = 20
    var plotWidth: Int64 { Self.width - Self.labelWidth - Self.rightMargin }

    /// Nanoseconds since playbook start.
    func offset(_ instant: MonotonicInstant) -> Int64 { ReportText.span(from: playbook.started, to: instant) }

    /// The time covered by the axis: everything recorded, at least 1 ms.
    var span: Int64 {
        var end = offset(playbook.ended)
        for step in playbook.steps {
            end = max(end, offset(step.ended))
            if let acknowledged = step.acknowledged { end = max(end, offset(acknowledged)) }
        }
        for assertion in playbook.assertions {
            end = max(end, offset(assertion.ended))
            if let deadline = assertion.deadline { end = max(end, offset(assertion.started) + deadline.nanoseconds) }
        }
        for observation in playbook.observations { end = max(end, offset(observation.time)) }
        return max(end, 1_000_000)
    }

    /// x coordinate (one decimal) of an offset in nanoseconds, clamped to the plot.
    func x(_ nanoseconds: Int64, span: Int64) -> String {
        let clamped = min(max(nanoseconds, 0), span)
        let tenths = Self.labelWidth * 10 + plotWidth * 10 * clamped / span
        return ReportText.decimal(tenths, divisor: 10, decimals: 1, trim: true)
    }

    /// Axis tick spacing: 1, 2 or 5 × 10^k ns giving at most 10 intervals.
    static func tickStep(span: Int64) -> Int64 {
        var magnitude: Int64 = 1
        while true {
            for factor: Int64 in [1, 2, 5] where span / (factor * magnitude) <= 10 {
                return factor * magnitude
            }
            magnitude *= 10
        }
    }

    /// Interface lanes in first-seen order.
    var lanes: [String] {
        var seen: Set<String> = []
        var order: [String] = []
        for observation in playbook.observations {
            let lane = "\(observation.host)/\(observation.interface)"
            if seen.insert(lane).inserted { order.append(lane) }
        }
        return order
    }

    func svg() -> String {
        let span = self.span
        let lanes = self.lanes
        let axisY: Int64 = 24
        let stepsY: Int64 = 44
        let labelLevels: Int64 = 3
        let assertionTop: Int64 = stepsY + 16 * (labelLevels - 1) + 20
        let assertionRow: Int64 = 18
        let laneTop = assertionTop + Int64(playbook.assertions.count) * assertionRow + 8
        let laneRow: Int64 = 22
        let probeLanes = playbook.probes.map { "probe \($0.probe) \($0.direction)" }
        let probeTop = laneTop + Int64(lanes.count) * laneRow
        let height = probeTop + Int64(probeLanes.count) * laneRow + 10
        let plotLeft = x(0, span: span)
        let plotRight = x(span, span: span)
        var out: [String] = []
        out.append(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Self.width)\" height=\"\(height)\" "
                + "viewBox=\"0 0 \(Self.width) \(height)\" role=\"img\" aria-label=\"timeline of \(HTMLReport.esc(playbook.name))\">"
        )
        // Axis with ticks.
        out.append("<line x1=\"\(plotLeft)\" y1=\"\(axisY)\" x2=\"\(plotRight)\" y2=\"\(axisY)\" stroke=\"#555\"/>")
        out.append("<text x=\"4\" y=\"\(axisY - 8)\">ms since start</text>")
        let step = Self.tickStep(span: span)
        var tick: Int64 = 0
        while tick <= span {
            let tx = x(tick, span: span)
            out.append(
                "<line x1=\"\(tx)\" y1=\"\(axisY - 4)\" x2=\"\(tx)\" y2=\"\(height - 4)\" stroke=\"#e4e4e4\"/>"
                    + "<text x=\"\(tx)\" y=\"\(axisY - 8)\" text-anchor=\"middle\">"
                    + "\(ReportText.millisecondsNumber(nanoseconds: tick))</text>")
            tick += step
        }
        // Steps: a mark per step start across all lanes, acknowledgement as a small tick.
        out.append("<text x=\"4\" y=\"\(stepsY + 4)\">steps</text>")
        // Step labels that would overlap the previous one move down a level (up to three).
        var previousLabelTenths: Int64 = -1_000
        var level: Int64 = 0
        for record in playbook.steps {
            let sx = x(offset(record.started), span: span)
            let tenths = Self.labelWidth * 10 + plotWidth * 10 * min(max(offset(record.started), 0), span) / span
            level = tenths - previousLabelTenths < 170 ? (level + 1) % labelLevels : 0
            previousLabelTenths = tenths
            let labelY = stepsY + 16 * level
            let colour = HTMLReport.colour(record.verdict)
            var title =
                "step \(record.index + 1): \(record.text) at \(ReportText.milliseconds(nanoseconds: offset(record.started))) [\(record.verdict.rawValue)]"
            if let message = record.message { title += " - \(message)" }
            out.append(
                "<g><title>\(HTMLReport.esc(title))</title>"
                    + "<line x1=\"\(sx)\" y1=\"\(stepsY - 8)\" x2=\"\(sx)\" y2=\"\(height - 4)\" stroke=\"\(colour)\" "
                    + "stroke-dasharray=\"3,3\" stroke-opacity=\"0.6\"/>"
                    + "<rect x=\"\(sx)\" y=\"\(labelY - 8)\" width=\"16\" height=\"14\" fill=\"\(colour)\"/>"
                    + "<text x=\"\(sx)\" dx=\"3\" y=\"\(labelY + 3)\" style=\"fill:#fff\">\(record.index + 1)</text></g>"
            )
            if let acknowledged = record.acknowledged {
                let ax = x(offset(acknowledged), span: span)
                out.append(
                    "<line x1=\"\(ax)\" y1=\"\(labelY + 6)\" x2=\"\(ax)\" y2=\"\(labelY + 12)\" stroke=\"#000\">"
                        + "<title>step \(record.index + 1) acknowledged at "
                        + "\(ReportText.milliseconds(nanoseconds: offset(acknowledged)))</title></line>")
            }
        }
        // Assertions: one row each, a bar from start to the deadline (or to the end), a mark when it held.
        for (row, assertion) in playbook.assertions.enumerated() {
            let y = assertionTop + Int64(row) * assertionRow
            let begin = offset(assertion.started)
            let finish = assertion.deadline.map { begin + $0.nanoseconds } ?? offset(assertion.ended)
            let bx = x(begin, span: span)
            let colour = HTMLReport.colour(assertion.verdict)
            let startTenths = Self.labelWidth * 10 + plotWidth * 10 * min(max(begin, 0), span) / span
            let endTenths = Self.labelWidth * 10 + plotWidth * 10 * min(max(finish, 0), span) / span
            let barWidth = ReportText.decimal(max(endTenths - startTenths, 20), divisor: 10, decimals: 1, trim: true)
            let label = Self.truncate("\(assertion.stepIndex + 1): \(assertion.description)", to: 27)
            let title = "step \(assertion.stepIndex + 1): \(assertion.description): \(ReportText.outcome(assertion))"
            out.append(
                "<g><title>\(HTMLReport.esc(title))</title>"
                    + "<text x=\"4\" y=\"\(y + 11)\">\(HTMLReport.esc(label))</text>"
                    + "<rect x=\"\(bx)\" y=\"\(y + 2)\" width=\"\(barWidth)\" height=\"12\" fill=\"\(colour)\" "
                    + "fill-opacity=\"0.3\" stroke=\"\(colour)\"/></g>")
            if let satisfied = assertion.satisfiedAt {
                let hx = x(offset(satisfied), span: span)
                out.append(
                    "<line x1=\"\(hx)\" y1=\"\(y)\" x2=\"\(hx)\" y2=\"\(y + 16)\" stroke=\"#000\" stroke-width=\"2\">"
                        + "<title>held at \(ReportText.milliseconds(nanoseconds: offset(satisfied)))</title></line>")
            }
        }
        // Observations on per-interface lanes.
        for (row, lane) in lanes.enumerated() {
            let y = laneTop + Int64(row) * laneRow
            out.append(
                "<text x=\"4\" y=\"\(y + 14)\">\(HTMLReport.esc(Self.truncate(lane, to: 27)))</text>"
                    + "<line x1=\"\(plotLeft)\" y1=\"\(y + 10)\" x2=\"\(plotRight)\" y2=\"\(y + 10)\" stroke=\"#bbb\"/>"
            )
            for observation in playbook.observations where "\(observation.host)/\(observation.interface)" == lane {
                let ox = x(offset(observation.time), span: span)
                let title =
                    "\(ReportText.milliseconds(nanoseconds: offset(observation.time))) \(lane) "
                    + "\(observation.kind): \(observation.detail)"
                out.append(
                    "<circle cx=\"\(ox)\" cy=\"\(y + 10)\" r=\"4\" fill=\"\(Self.kindColour(observation.kind))\">"
                        + "<title>\(HTMLReport.esc(title))</title></circle>")
            }
        }
        // Probe outages: a red bar per fault window with an outage, on one lane per probe direction.
        for (row, probe) in playbook.probes.enumerated() {
            let y = probeTop + Int64(row) * laneRow
            out.append(
                "<text x=\"4\" y=\"\(y + 14)\">\(HTMLReport.esc(Self.truncate(probeLanes[row], to: 27)))</text>"
                    + "<line x1=\"\(plotLeft)\" y1=\"\(y + 10)\" x2=\"\(plotRight)\" y2=\"\(y + 10)\" stroke=\"#bbb\"/>"
            )
            for window in probe.windows where window.timestampTime.nanoseconds > 0 && window.measured != false {
                let fault = playbook.steps.first { $0.index == window.stepIndex }?.started
                guard let start = window.outageStart ?? fault else { continue }
                let begin = offset(start)
                let finish = begin + window.timestampTime.nanoseconds
                let startTenths = Self.labelWidth * 10 + plotWidth * 10 * min(max(begin, 0), span) / span
                let endTenths = Self.labelWidth * 10 + plotWidth * 10 * min(max(finish, 0), span) / span
                let barWidth = ReportText.decimal(
                    max(endTenths - startTenths, 20), divisor: 10, decimals: 1, trim: true)
                let title =
                    "step \(window.stepIndex + 1) \(window.kind): outage "
                    + "\(ReportText.milliseconds(nanoseconds: window.timestampTime.nanoseconds)) from "
                    + "\(ReportText.milliseconds(nanoseconds: begin)), \(window.lost) lost"
                out.append(
                    "<rect x=\"\(x(begin, span: span))\" y=\"\(y + 4)\" width=\"\(barWidth)\" height=\"12\" "
                        + "fill=\"#c0392b\" fill-opacity=\"0.6\"><title>\(HTMLReport.esc(title))</title></rect>")
            }
        }
        out.append("</svg>")
        return out.joined(separator: "\n")
    }

    static func kindColour(_ kind: String) -> String {
        switch kind {
        case "link": "#1565c0"
        case "active_slave": "#ef6c00"
        case "slave": "#00897b"
        case "mac", "address": "#6d4c41"
        default: "#616161"
        }
    }

    static func truncate(_ text: String, to length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }
}
