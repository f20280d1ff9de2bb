import FailoverModel
import FailoverReport
import Foundation
import FoundationXML
import Testing

/// Expected, actual and the message appear once each in every line a writer prints, also when
/// the message restates them (as the runner's did: "expected >= 18, was …").
@Suite("Reports say things once")
struct RepetitionTests {
    static let actual = "forward: 0 lost of 0; reverse: 0 lost of 0"

    static func occurrences(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    static func assertion(message: String?, verdict: Verdict = .failed, deadline: Bool = false) -> AssertionRecord {
        AssertionRecord(
            stepIndex: 3, description: "loss of probe p1 (last fault window) is >= 18", expected: ">= 18",
            actual: actual, verdict: verdict,
            deadline: deadline
                ? DeadlineRecord(nanoseconds: 500_000_000, source: "playbook", allowanceNanoseconds: 0) : nil,
            satisfiedAt: nil, started: ReportFixtures.at(0), ended: ReportFixtures.at(1), location: nil,
            message: message)
    }

    @Test("note drops restatements of expected and actual, keeps the explanation")
    func note() {
        #expect(ReportText.note(Self.assertion(message: nil)) == nil)
        #expect(ReportText.note(Self.assertion(message: "")) == nil)
        #expect(ReportText.note(Self.assertion(message: "expected >= 18, was \(Self.actual)")) == nil)
        #expect(
            ReportText.note(
                Self.assertion(
                    message: "expected >= 18 within 500 ms (playbook), was \(Self.actual) at the deadline",
                    deadline: true)) == nil)
        #expect(
            ReportText.note(
                Self.assertion(message: "expected >= 18, was \(Self.actual); the sender had not published yet"))
                == "the sender had not published yet")
        #expect(
            ReportText.note(Self.assertion(message: "first: expected >= 18, was \(Self.actual); then more"))
                == "first; then more")
        #expect(ReportText.note(Self.assertion(message: Self.actual)) == nil)
        // Just outside: a message about something else is kept whole, also when it mentions the values.
        #expect(
            ReportText.note(Self.assertion(message: "expected >= 18 packets at 10 pps"))
                == "expected >= 18 packets at 10 pps")
        #expect(ReportText.note(Self.assertion(message: "was \(Self.actual)")) == "was \(Self.actual)")
    }

    @Test("the outcome line says expected, actual and the explanation once each", arguments: [false, true])
    func outcomeOnce(deadline: Bool) {
        let message =
            deadline
            ? "expected >= 18 within 500 ms (playbook), was \(Self.actual) at the deadline; no packets yet"
            : "expected >= 18, was \(Self.actual); no packets yet"
        let text = ReportText.outcome(Self.assertion(message: message, deadline: deadline))
        #expect(Self.occurrences(of: Self.actual, in: text) == 1, "\(text)")
        #expect(Self.occurrences(of: "expected >= 18", in: text) == 1, "\(text)")
        #expect(Self.occurrences(of: "no packets yet", in: text) == 1, "\(text)")
    }

    @Test("console, JUnit message and body, HTML table: the restating message adds nothing")
    func writersOnce() throws {
        let runs = ReportFixtures.skippedAfterFailure
        let console = ConsoleSummary.render(runs, color: false)
        let line = try #require(console.split(separator: "\n").first { $0.contains("step 4") })
        #expect(Self.occurrences(of: Self.actual, in: String(line)) == 1, "\(line)")
        #expect(Self.occurrences(of: "expected >= 18", in: String(line)) == 1, "\(line)")

        let root = try #require(try XMLDocument(xmlString: JUnitReport.render(runs), options: []).rootElement())
        let failure = try #require(
            root.elements(forName: "testsuite").first?.elements(forName: "testcase").first?
                .elements(forName: "failure").first)
        let message = failure.attribute(forName: "message")?.stringValue ?? ""
        #expect(Self.occurrences(of: Self.actual, in: message) == 1, "\(message)")
        #expect(Self.occurrences(of: "expected >= 18", in: message) == 1, "\(message)")
        let body = failure.stringValue ?? ""
        #expect(Self.occurrences(of: Self.actual, in: body) == 1, "\(body)")
        #expect(!body.contains("note:"), "nothing left to note: \(body)")

        let html = HTMLReport.render(runs)
        #expect(!html.contains("expected &gt;= 18, was"), "the runner's restatement is not printed")
    }
}
