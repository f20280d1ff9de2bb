import FailoverModel
import FailoverReport
import Foundation
import Testing

/// The report says which time bounds an assertion had (`not_before`, `throughout`, `never`), and
/// never describes a window assertion as "checked once" or a lower-bound failure as one that
/// "did not stay".
@Suite("Timing in report text")
struct TimingTextTests {
    static func record(
        mode: String, verdict: Verdict, notBefore: Int64? = nil, window: Int64? = nil, deadline: Int64? = nil,
        satisfiedAfter: Int? = nil, message: String? = nil
    ) -> AssertionRecord {
        AssertionRecord(
            stepIndex: 2, description: "active_slave of server/bond0 is eth0", expected: "eth0", actual: "eth1",
            verdict: verdict,
            deadline: deadline.map { DeadlineRecord(nanoseconds: $0, source: "playbook", allowanceNanoseconds: 0) },
            satisfiedAt: satisfiedAfter.map { ReportFixtures.at(0).advanced(by: .milliseconds($0)) },
            started: ReportFixtures.at(0), ended: ReportFixtures.at(3), location: nil, message: message,
            timing: AssertionTimingRecord(
                mode: mode, notBeforeNanoseconds: notBefore, windowNanoseconds: window, fromTimeline: true))
    }

    @Test("throughout and never are windows, not deadlines")
    func windows() {
        let broken = Self.record(
            mode: "throughout", verdict: .failed, window: 2_000_000_000, satisfiedAfter: 345,
            message: "broken after 345ms; must hold for 2000ms")
        #expect(ReportText.expectation(broken) == "eth0 throughout 2000 ms")
        let outcome = ReportText.outcome(broken)
        #expect(!outcome.contains("checked once"), "\(outcome)")
        #expect(!outcome.contains("at the deadline"), "\(outcome)")
        #expect(outcome.contains("broken after 345ms"), "\(outcome)")
        let never = Self.record(mode: "never", verdict: .passed, window: 1_500_000_000)
        #expect(ReportText.expectation(never) == "never eth0 for 1500 ms")
        #expect(ReportText.outcome(never) == "expected never eth0 for 1500 ms, was eth1")
    }

    @Test("a not_before failure is explained by the runner once, not as 'did not stay'")
    func lowerBound() {
        let early = Self.record(
            mode: "within", verdict: .failed, notBefore: 450_000_000, deadline: 700_000_000, satisfiedAfter: 120,
            message: "held after 120ms; not before 450ms")
        #expect(ReportText.expectation(early) == "eth0 not before 450 ms within 700 ms")
        let outcome = ReportText.outcome(early)
        #expect(!outcome.contains("did not stay"), "\(outcome)")
        #expect(outcome.components(separatedBy: "120").count == 2, "the instant appears once: \(outcome)")
    }

    @Test("a late timeline verdict states its lateness once")
    func late() {
        let late = Self.record(
            mode: "within", verdict: .failed, deadline: 300_000_000, satisfiedAfter: 345,
            message: "became eth0 after 345ms; deadline 300ms")
        let outcome = ReportText.outcome(late)
        #expect(outcome.components(separatedBy: "345").count == 2, "\(outcome)")
    }
}
