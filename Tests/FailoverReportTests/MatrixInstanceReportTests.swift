import FailoverModel
import FailoverReport
import Foundation
import FoundationXML
import Testing

/// Two instances of one `matrix:` playbook file must stay apart in JUnit (test history keys on
/// classname + name) and keep their names from run to run.
@Suite("Matrix instances in reports")
struct MatrixInstanceReportTests {
    static func instance(_ mode: String?) -> PlaybookRecord {
        var record = ReportFixtures.activeBackupPull(file: "Playbooks/seed-001/modes/modes.yaml")
        if let mode {
            record.name = "bond mode \(mode) comes up [mode=\(mode)]"
            record.parameters = [MatrixParameter(name: "mode", value: mode)]
        }
        return record
    }

    static func classnames(_ playbooks: [PlaybookRecord]) throws -> [String] {
        let run = RunRecord(
            runID: "3f2a1c", startedAt: "2026-11-22T10:15:02Z", environment: ReportFixtures.hostEnvironment,
            playbooks: playbooks)
        let document = try XMLDocument(xmlString: JUnitReport.render([run]), options: [])
        let root = try #require(document.rootElement())
        return root.elements(forName: "testsuite").map { suite in
            suite.elements(forName: "testcase").first?.attribute(forName: "classname")?.stringValue ?? ""
        }
    }

    @Test("each instance's classname is the file and its parameters; a plain playbook's is the file")
    func classnames() throws {
        let names = try Self.classnames([
            Self.instance("active-backup"), Self.instance("balance-alb"), Self.instance(nil),
        ])
        #expect(
            names == [
                "Playbooks/seed-001/modes/modes.yaml [mode=active-backup]",
                "Playbooks/seed-001/modes/modes.yaml [mode=balance-alb]",
                "Playbooks/seed-001/modes/modes.yaml",
            ])
        // Stable: the same instance gets the same name in another run, whatever runs beside it.
        #expect(try Self.classnames([Self.instance("balance-alb")]) == [names[1]])
    }

    @Test("the JSON record keeps the parameters, and has no key for a plain playbook")
    func json() throws {
        let encoder = JSONEncoder()
        let plain = String(decoding: try encoder.encode(Self.instance(nil)), as: UTF8.self)
        #expect(!plain.contains("\"parameters\""))
        let data = try encoder.encode(Self.instance("802.3ad"))
        #expect(String(decoding: data, as: UTF8.self).contains("\"parameters\""))
        let decoded = try JSONDecoder().decode(PlaybookRecord.self, from: data)
        #expect(decoded.parameters == [MatrixParameter(name: "mode", value: "802.3ad")])
        #expect(try JSONDecoder().decode(PlaybookRecord.self, from: Data(plain.utf8)).parameters == nil)
    }

    @Test("report.json names an instance's parameters, in order; a plain playbook has none")
    func report() throws {
        func playbooks(_ record: PlaybookRecord) throws -> [[String: Any]] {
            let run = RunRecord(
                runID: "3f2a1c", startedAt: "2026-11-22T10:15:02Z", environment: ReportFixtures.hostEnvironment,
                playbooks: [record])
            let json = try JSONSerialization.jsonObject(with: Data(try JSONReport.render([run]).utf8))
            let runs = try #require((json as? [String: Any])?["runs"] as? [[String: Any]])
            return try #require(runs.first?["playbooks"] as? [[String: Any]])
        }
        var record = Self.instance("balance-xor")
        record.parameters?.append(MatrixParameter(name: "hash", value: "layer2"))
        let parameters = try #require(try playbooks(record).first?["parameters"] as? [[String: String]])
        #expect(parameters == [["name": "mode", "value": "balance-xor"], ["name": "hash", "value": "layer2"]])
        #expect(try playbooks(Self.instance(nil)).first?["parameters"] == nil)
    }
}
