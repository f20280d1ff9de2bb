import FailoverModel
import FailoverReport
import Foundation
import FoundationXML
import Testing

/// Every JUnit report is valid against the junit-4 XSD in `Fixtures/Schema` (checked with
/// xmllint from libxml2-utils, which scripts/install-deps.sh installs).
@Suite("JUnit report: schema, skipped steps, stable names")
struct JUnitSchemaTests {
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Schema/junit-4.xsd").path
    static let xmllint = ["/usr/bin/xmllint", "/bin/xmllint"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// xmllint's verdict on `xml`: nil when valid, else its messages.
    static func schemaProblems(_ xml: String) throws -> String? {
        guard let xmllint else {
            Issue.record("xmllint not found: install libxml2-utils (scripts/install-deps.sh)")
            return "no xmllint"
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("junit-\(UUID().uuidString).xml")
        try Data(xml.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: xmllint)
        process.arguments = ["--noout", "--schema", schema, file.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : text
    }

    static func testcases(_ xml: String) throws -> [XMLElement] {
        let root = try #require(try XMLDocument(xmlString: xml, options: []).rootElement())
        return root.elements(forName: "testsuite").flatMap { $0.elements(forName: "testcase") }
    }

    @Test("every fixture's report is valid against the junit-4 XSD", arguments: ReportFixtures.all.map(\.name))
    func validAgainstSchema(fixture: String) throws {
        let runs = try #require(ReportFixtures.all.first { $0.name == fixture }?.runs)
        #expect(try Self.schemaProblems(JUnitReport.render(runs)) == nil)
        #expect(try Self.schemaProblems(JUnitReport.render(runs, baseDirectory: "/home/ci/workspace")) == nil)
    }

    @Test("the schema check can fail: skipped on <testsuites>, a testcase without name, a bad count")
    func schemaRejects() throws {
        let valid = JUnitReport.render(ReportFixtures.passing)
        #expect(try Self.schemaProblems(valid) == nil)
        let skippedOnSuites = valid.replacingOccurrences(
            of: "<testsuites name=", with: "<testsuites skipped=\"0\" name=")
        #expect(try Self.schemaProblems(skippedOnSuites)?.contains("skipped") == true)
        let nameless = valid.replacingOccurrences(of: "<testcase name=", with: "<testcase label=")
        #expect(try Self.schemaProblems(nameless) != nil)
        let badCount = valid.replacingOccurrences(of: "tests=\"3\"", with: "tests=\"three\"")
        #expect(badCount != valid)
        #expect(try Self.schemaProblems(badCount) != nil)
    }

    @Test("hostile strings still give a schema-valid report")
    func hostileValid() throws {
        var runs = ReportFixtures.failing
        runs[0].playbooks[0].file = EscapingTests.nasty
        runs[0].playbooks[0].assertions[0].actual = EscapingTests.nasty
        runs[0].playbooks[1].message = EscapingTests.nasty
        #expect(try Self.schemaProblems(JUnitReport.render(runs)) == nil)
    }

    @Test("expects never run after a failure are skipped testcases, counted in tests and skipped")
    func skippedSteps() throws {
        let xml = JUnitReport.render(ReportFixtures.skippedAfterFailure)
        let root = try #require(try XMLDocument(xmlString: xml, options: []).rootElement())
        #expect(root.attribute(forName: "skipped") == nil)
        #expect(root.attribute(forName: "tests")?.stringValue == "3")
        let suite = try #require(root.elements(forName: "testsuite").first)
        #expect(suite.attribute(forName: "tests")?.stringValue == "3")
        #expect(suite.attribute(forName: "failures")?.stringValue == "1")
        #expect(suite.attribute(forName: "skipped")?.stringValue == "2")
        let cases = suite.elements(forName: "testcase")
        #expect(cases.map { $0.elements(forName: "skipped").count } == [0, 1, 1])
        #expect(cases.map { $0.elements(forName: "failure").count } == [1, 0, 0])
        let skipMessage = cases[1].elements(forName: "skipped").first?.attribute(forName: "message")?.stringValue
        #expect(
            skipMessage
                == "step 6: not run: an earlier step did not pass (/home/ci/workspace/Playbooks/probe-loss.yaml:25:5)")
        // Non-expect steps that were skipped (the plug) are not tests.
        #expect(!cases.contains { $0.attribute(forName: "name")?.stringValue?.contains("plug") == true })
    }

    @Test("testcase names are the steps' texts, unique by occurrence, with no step number")
    func stableNames() throws {
        let names = try Self.testcases(JUnitReport.render(ReportFixtures.skippedAfterFailure)).compactMap {
            $0.attribute(forName: "name")?.stringValue
        }
        #expect(
            names == [
                "expect loss of probe p1 (last fault window) is >= 18",
                "expect carrier of server/eth0 is up within 100ms",
                "expect loss of probe p1 (last fault window) is >= 18 #2",
            ])
        // Inserting a step before them renames nothing.
        var runs = ReportFixtures.skippedAfterFailure
        runs[0].playbooks[0].steps = runs[0].playbooks[0].steps.map { step in
            var moved = step
            moved.index += 1
            return moved
        }
        runs[0].playbooks[0].assertions = runs[0].playbooks[0].assertions.map { assertion in
            var moved = assertion
            moved.stepIndex += 1
            return moved
        }
        let shifted = try Self.testcases(JUnitReport.render(runs)).compactMap {
            $0.attribute(forName: "name")?.stringValue
        }
        #expect(shifted == names)
        for fixture in ReportFixtures.all {
            for testcase in try Self.testcases(JUnitReport.render(fixture.runs)) {
                let name = testcase.attribute(forName: "name")?.stringValue ?? ""
                #expect(!name.hasPrefix("step "), "\(fixture.name): \(name)")
            }
        }
    }

    @Test("classname: relative to the invocation directory, the playbook's name when outside it, never absolute")
    func classnames() throws {
        func classnames(_ runs: [RunRecord], base: String?) throws -> Set<String> {
            Set(
                try Self.testcases(JUnitReport.render(runs, baseDirectory: base)).compactMap {
                    $0.attribute(forName: "classname")?.stringValue
                })
        }
        let absolute = ReportFixtures.skippedAfterFailure
        #expect(try classnames(absolute, base: "/home/ci/workspace") == ["Playbooks/probe-loss.yaml"])
        #expect(try classnames(absolute, base: "/home/ci/workspace/") == ["Playbooks/probe-loss.yaml"])
        #expect(try classnames(absolute, base: "/home/ci/work") == ["probe-loss"], "a prefix that is not a directory")
        #expect(try classnames(absolute, base: nil) == ["probe-loss"])
        #expect(try classnames(ReportFixtures.passing, base: "/anywhere") == ["Playbooks/active-backup-pull.yaml"])
    }
}
