import FailoverModel
import FailoverReport
import Foundation
import FoundationXML
import Testing

@Suite("Console summary")
struct ConsoleSummaryTests {
    @Test("the last line is exactly N passed, N failed, N errored, N skipped")
    func finalLine() throws {
        let summary = ConsoleSummary.render(ReportFixtures.failing, color: false)
        let lines = summary.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        #expect(lines.dropLast().last == "0 passed, 1 failed, 2 errored, 1 skipped")
        let matrix = ConsoleSummary.render(ReportFixtures.matrix, color: false)
        #expect(matrix.hasSuffix("\n1 passed, 1 failed, 0 errored, 0 skipped\n"))
        #expect(ConsoleSummary.render([], color: false) == "0 passed, 0 failed, 0 errored, 0 skipped\n")
    }

    @Test("header states kernel, VM or host, accelerator and allowance")
    func header() {
        let summary = ConsoleSummary.render(ReportFixtures.failing, color: false)
        #expect(
            summary.hasPrefix(
                "failover 0.1.0 run 9b8c7d on lab-host: kernel 6.1.0-56-amd64, vm, accelerator tcg, timing allowance "
                    + "1000 ms (TCG emulation: timers run late, measured p90 63 ms, max 215 ms)\n"))
        let host = [RunRecord(runID: "r", startedAt: "x", environment: ReportFixtures.hostEnvironment, playbooks: [])]
        #expect(
            ConsoleSummary.render(host, color: false).contains(
                "kernel 6.18.0, host, accelerator none, timing allowance 0 ms"))
    }

    @Test("playbook lines and failure details")
    func playbookLines() {
        let summary = ConsoleSummary.render(ReportFixtures.failing, color: false)
        #expect(summary.contains("\nFAIL   primary-reselect <better> & \"quoted\"  (1/3 assertions, 1.64 s)\n"))
        #expect(summary.contains("\nSKIP   carp-takeover"))
        #expect(summary.contains("\nERROR  lacp-two-switches"))
        #expect(
            summary.contains(
                "step 3 at Playbooks/primary-reselect.yaml:33:9: active_slave of server/bond0 is eth1 within 500ms: expected eth1 within 500 ms, was eth0 at the deadline"
            ))
        #expect(!summary.contains("\u{1B}["))
        let passing = ConsoleSummary.render(ReportFixtures.passing, color: false)
        #expect(passing.contains("PASS   active-backup-pull  (3/3 assertions, 0.22 s)"))
    }

    @Test("control characters in records cannot break lines or drive the terminal")
    func controlCharacters() {
        var runs = ReportFixtures.failing
        runs[0].playbooks[1].message = "line one\nline two\u{1B}[2J"
        runs[0].playbooks[1].name = "evil\rname"
        let summary = ConsoleSummary.render(runs, color: false)
        #expect(!summary.contains("\u{1B}"))
        #expect(!summary.contains("\r"))
        #expect(summary.contains("line one\\u{0A}line two\\u{1B}[2J"))
        #expect(
            summary.split(separator: "\n").count
                == ConsoleSummary.render(ReportFixtures.failing, color: false).split(separator: "\n").count)
    }

    @Test("colour only when asked, only around the verdict word")
    func color() {
        let colored = ConsoleSummary.render(ReportFixtures.failing, color: true)
        #expect(colored.contains("\u{1B}[1;31mFAIL \u{1B}[0m  primary-reselect"))
        #expect(colored.hasSuffix("0 passed, 1 failed, 2 errored, 1 skipped\n"))
    }
}

@Suite("JSON report")
struct JSONReportTests {
    @Test("format key, verdict strings, durations in ns and ms")
    func structure() throws {
        let text = try JSONReport.render(ReportFixtures.failing)
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["format"] as? String == "failover-report/1")
        #expect(object["verdict"] as? String == "errored")
        let runs = try #require(object["runs"] as? [[String: Any]])
        #expect(runs.count == 1)
        let environment = try #require(runs[0]["environment"] as? [String: Any])
        #expect(environment["timingAllowanceNanoseconds"] as? Int == 1_000_000_000)
        #expect(environment["timingAllowanceMilliseconds"] as? Double == 1000)
        #expect(environment["accelerator"] as? String == "tcg")
        let playbooks = try #require(runs[0]["playbooks"] as? [[String: Any]])
        #expect(playbooks.map { $0["verdict"] as? String } == ["failed", "errored", "errored", "skipped"])
        #expect(playbooks[0]["durationNanoseconds"] as? Int == 1_640_000_000)
        #expect(playbooks[0]["durationMilliseconds"] as? Double == 1640)
        let assertions = try #require(playbooks[0]["assertions"] as? [[String: Any]])
        #expect(assertions[0]["actual"] as? String == "eth0")
        #expect((assertions[0]["outcome"] as? String)?.contains("was eth0 at the deadline") == true)
        let deadline = try #require(assertions[0]["deadline"] as? [String: Any])
        #expect(deadline["milliseconds"] as? Double == 500)
        #expect(deadline["source"] as? String == "playbook")
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["errored"] as? Int == 2)
    }

    @Test("JSON keeps every record field (decoding the raw values back)")
    func roundTripValues() throws {
        let runs = ReportFixtures.matrix
        let text = try JSONReport.render(runs)
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let decodedRuns = try #require(object["runs"] as? [[String: Any]])
        for (run, decoded) in zip(runs, decodedRuns) {
            #expect(decoded["runID"] as? String == run.runID)
            #expect(decoded["startedAt"] as? String == run.startedAt)
            let playbooks = try #require(decoded["playbooks"] as? [[String: Any]])
            for (playbook, decodedPlaybook) in zip(run.playbooks, playbooks) {
                let observations = try #require(decodedPlaybook["observations"] as? [[String: Any]])
                #expect(observations.count == playbook.observations.count)
                #expect(
                    observations.compactMap { ($0["timeNanoseconds"] as? NSNumber)?.uint64Value }
                        == playbook.observations.map(\.time.nanoseconds))
                let steps = try #require(decodedPlaybook["steps"] as? [[String: Any]])
                #expect(steps.compactMap { $0["text"] as? String } == playbook.steps.map(\.text))
                #expect(decodedPlaybook["seed"] as? String == playbook.seed)
                let timers = try #require(decodedPlaybook["timers"] as? [[String: Any]])
                #expect(timers.compactMap { $0["milliseconds"] as? Int } == playbook.timers.map(\.milliseconds))
            }
        }
    }
}

@Suite("HTML report")
struct HTMLReportTests {
    /// Every `<svg>…</svg>` fragment of the page.
    static func svgFragments(_ html: String) -> [String] {
        var fragments: [String] = []
        var rest = Substring(html)
        while let start = rest.range(of: "<svg "),
            let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex)
        {
            fragments.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return fragments
    }

    @Test("self-contained: no scripts, no external resources")
    func selfContained() {
        for fixture in ReportFixtures.all {
            let html = HTMLReport.render(fixture.runs)
            #expect(html.hasPrefix("<!DOCTYPE html>"))
            #expect(!html.contains("<script"))
            #expect(!html.contains("src="))
            #expect(!html.contains("<link"))
            #expect(
                !html.contains("http://")
                    || !html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http://"))
            #expect(!html.contains("https://"))
        }
    }

    @Test("timelines are well-formed SVG with steps, deadline bars and observation points")
    func timeline() throws {
        let html = HTMLReport.render(ReportFixtures.failing)
        let fragments = Self.svgFragments(html)
        #expect(fragments.count == 2, "failed and run-errored playbooks have a timeline; build error and skip do not")
        let svg = try XMLDocument(xmlString: fragments[0], options: [])
        let root = try #require(svg.rootElement())
        #expect(root.name == "svg")
        let groups = root.elements(forName: "g")
        // 4 steps + 3 assertions.
        #expect(groups.count == 7)
        #expect(root.elements(forName: "circle").count == 3)
        let titles = groups.compactMap { $0.elements(forName: "title").first?.stringValue }
        #expect(titles.contains { $0.contains("expected eth1 within 500 ms, was eth0 at the deadline") })
        #expect(html.contains("timing allowance 1000 ms"))
    }

    @Test("tick spacing")
    func axis() {
        let html = HTMLReport.render(ReportFixtures.passing)
        // The axis covers the last deadline (116.2 ms + 500 ms): ticks every 100 ms up to 600.
        for label in ["0", "100", "200", "300", "400", "500", "600"] {
            #expect(html.contains("text-anchor=\"middle\">\(label)</text>"))
        }
        #expect(!html.contains("text-anchor=\"middle\">700</text>"))
        #expect(!html.contains("text-anchor=\"middle\">50</text>"))
    }
}

@Suite("Report text")
struct ReportTextTests {
    @Test(
        "durations carry units",
        arguments: [
            (Int64(0), "0 ms", "0.00 s"), (Int64(250_000), "0.25 ms", "0.00 s"),
            (Int64(512_300_000), "512.3 ms", "0.51 s"),
            (Int64(1_234_567_891), "1234.568 ms", "1.23 s"), (Int64(-1_500_000), "-1.5 ms", "-0.00 s"),
            (Int64(999), "0.001 ms", "0.00 s"),
        ])
    func durations(nanoseconds: Int64, milliseconds: String, seconds: String) {
        #expect(ReportText.milliseconds(nanoseconds: nanoseconds) == milliseconds)
        #expect(ReportText.seconds(nanoseconds: nanoseconds) == seconds || nanoseconds < 0)
    }

    @Test("junit seconds")
    func junitSeconds() {
        #expect(ReportText.junitSeconds(nanoseconds: 1_640_000_000) == "1.640")
        #expect(ReportText.junitSeconds(nanoseconds: 499_500) == "0.000")
        #expect(ReportText.junitSeconds(nanoseconds: 500_000) == "0.001")
    }
}
