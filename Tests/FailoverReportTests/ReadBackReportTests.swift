import FailoverModel
import FailoverReport
import Foundation
import Testing

/// A `set` step's read-back value reaches report.json and the HTML step table.
@Suite("set read-back in reports")
struct ReadBackReportTests {
    static func run(readBack: String?) -> [RunRecord] {
        let step = StepRecord(
            index: 0, text: "set server/bond0 updelay=250", location: nil, started: ReportFixtures.at(0),
            ended: ReportFixtures.at(1), acknowledged: ReportFixtures.at(1), verdict: .passed, readBack: readBack)
        let playbook = PlaybookRecord(
            name: "set", file: "set.yaml", seed: nil, verdict: .passed, message: nil, started: ReportFixtures.at(0),
            ended: ReportFixtures.at(2), timers: [], steps: [step], assertions: [], observations: [])
        return [
            RunRecord(
                runID: "abcdef", startedAt: "2026-12-03T09:00:00Z", environment: ReportFixtures.hostEnvironment,
                playbooks: [playbook])
        ]
    }

    @Test("JSON: the step carries readBack; absent when nothing was read back")
    func json() throws {
        let text = try JSONReport.render(Self.run(readBack: "200"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let runs = try #require(object["runs"] as? [[String: Any]])
        let playbooks = try #require(runs.first?["playbooks"] as? [[String: Any]])
        let steps = try #require(playbooks.first?["steps"] as? [[String: Any]])
        #expect(steps.first?["readBack"] as? String == "200")
        let without = try JSONReport.render(Self.run(readBack: nil))
        #expect(!without.contains("readBack"))
    }

    @Test("HTML: the step row shows the value read back")
    func html() {
        #expect(HTMLReport.render(Self.run(readBack: "200")).contains("read back: 200"))
        #expect(!HTMLReport.render(Self.run(readBack: nil)).contains("read back:"))
    }
}
