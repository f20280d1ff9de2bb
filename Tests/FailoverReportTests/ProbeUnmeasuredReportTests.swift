import FailoverModel
import Foundation
import Testing

@testable import FailoverReport

/// Issue 8, point 3: a window the probe did not send across is visibly unmeasured in every report,
/// with the reason, and shows no outage figure; a measured window is unchanged.
@Suite("Unmeasured probe windows in reports")
struct ProbeUnmeasuredReportTests {
    static func runs(measured: Bool) -> [RunRecord] {
        var probe = ReportFixtures.probeRecord()
        probe.windows[1].measured = measured
        probe.windows[1].unmeasuredReason = measured ? nil : "stopped: the probe stopped before the window opened"
        probe.senderMaxLatenessNanoseconds = 2_500_000
        probe.senderLatenessBoundNanoseconds = 100_000_000
        var playbook = ReportFixtures.activeBackupPull()
        playbook.probes = [probe]
        return [
            RunRecord(
                runID: "3f2a1c", startedAt: "2026-11-22T10:15:02Z", environment: ReportFixtures.kvmEnvironment,
                playbooks: [playbook])
        ]
    }

    @Test("console, JSON, JUnit and HTML say NOT MEASURED with the reason; a measured window shows its figures")
    func everywhere() throws {
        let reason = "stopped: the probe stopped before the window opened"
        let unmeasured = Self.runs(measured: false)
        let console = ConsoleSummary.render(unmeasured, color: false)
        #expect(console.contains("reversion NOT MEASURED (\(reason)); 1080 sent, 0 lost"), "\(console)")
        #expect(!console.contains("reversion 0 ms"))
        let json = try JSONReport.render(unmeasured)
        #expect(json.contains("\"measured\" : false") || json.contains("\"measured\":false"), "\(json)")
        #expect(json.contains(reason))
        #expect(json.contains("senderLatenessBoundNanoseconds"))
        let junit = JUnitReport.render(unmeasured)
        #expect(junit.contains("probe.p1.forward.step4.measured"), "\(junit)")
        #expect(junit.contains("false (\(reason))"))
        let html = HTMLReport.render(unmeasured)
        #expect(html.contains("<b>not measured</b>: \(reason)"))

        let measured = Self.runs(measured: true)
        let measuredConsole = ConsoleSummary.render(measured, color: false)
        #expect(!measuredConsole.contains("NOT MEASURED"))
        #expect(measuredConsole.contains("plug"), "\(measuredConsole)")
        #expect(!JUnitReport.render(measured).contains("step4.measured"))
        #expect(!HTMLReport.render(measured).contains("not measured"))
    }
}
