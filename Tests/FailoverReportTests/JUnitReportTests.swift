import FailoverModel
import FailoverReport
import Foundation
import FoundationXML
import Testing

@Suite("JUnit report")
struct JUnitReportTests {
    static func parse(_ xml: String) throws -> XMLElement {
        let document = try XMLDocument(xmlString: xml, options: [])
        return try #require(document.rootElement())
    }

    static func children(_ element: XMLElement, _ name: String) -> [XMLElement] {
        element.elements(forName: name)
    }

    static func attribute(_ element: XMLElement, _ name: String) -> String? {
        element.attribute(forName: name)?.stringValue
    }

    @Test("every fixture renders well-formed XML with consistent counts", arguments: ReportFixtures.all.map(\.name))
    func wellFormed(fixture: String) throws {
        let runs = try #require(ReportFixtures.all.first { $0.name == fixture }?.runs)
        let root = try Self.parse(JUnitReport.render(runs))
        #expect(root.name == "testsuites")
        let suites = Self.children(root, "testsuite")
        #expect(suites.count == runs.reduce(0) { $0 + $1.playbooks.count })
        var total = 0
        for suite in suites {
            let cases = Self.children(suite, "testcase")
            #expect(Self.attribute(suite, "tests") == "\(cases.count)")
            let failures = cases.filter { !Self.children($0, "failure").isEmpty }.count
            let errors = cases.filter { !Self.children($0, "error").isEmpty }.count
            let skipped = cases.filter { !Self.children($0, "skipped").isEmpty }.count
            #expect(Self.attribute(suite, "failures") == "\(failures)")
            #expect(Self.attribute(suite, "errors") == "\(errors)")
            #expect(Self.attribute(suite, "skipped") == "\(skipped)")
            let properties = try #require(Self.children(suite, "properties").first)
            let names = Set(Self.children(properties, "property").compactMap { Self.attribute($0, "name") })
            for required in [
                "kernel", "execution", "accelerator", "timing_allowance_ns", "timing_allowance_reason",
                "failover_version", "run_id",
            ] {
                #expect(names.contains(required), "missing property \(required)")
            }
            total += cases.count
        }
        #expect(Self.attribute(root, "tests") == "\(total)")
    }

    @Test("a failure says expected vs actual, deadline and location in its message")
    func failureMessage() throws {
        let root = try Self.parse(JUnitReport.render(ReportFixtures.failing))
        let suite = try #require(Self.children(root, "testsuite").first)
        #expect(Self.attribute(suite, "name") == "primary-reselect <better> & \"quoted\"")
        let cases = Self.children(suite, "testcase")
        #expect(cases.count == 2)
        #expect(Self.attribute(cases[0], "classname") == "Playbooks/primary-reselect.yaml")
        #expect(
            Self.attribute(cases[0], "name")
                == "expect active_slave of server/bond0 is eth1 within 500ms; carrier of server/eth0 is down")
        #expect(Self.attribute(cases[0], "time") == "0.500")
        let failure = try #require(Self.children(cases[0], "failure").first)
        let message = try #require(Self.attribute(failure, "message"))
        #expect(message.contains("expected eth1 within 500 ms, was eth0 at the deadline"))
        #expect(message.contains("Playbooks/primary-reselect.yaml:33:9"))
        #expect(message.contains("first held after 726.7 ms (226.7 ms late)"))
        #expect(!message.contains("carrier of server/eth0"), "only the failed assertion goes in the message")
        let body = failure.stringValue ?? ""
        #expect(body.contains("carrier of server/eth0 is down"), "the body lists every assertion of the step")
        let derived = try #require(Self.children(cases[1], "failure").first.flatMap { Self.attribute($0, "message") })
        #expect(derived.contains("within 1130 ms (derived from bond timers, incl. 1000 ms timing allowance)"))
        #expect(derived.contains("was 412.5 ms (timestamp method, resolution 0.1 ms) at the deadline"))
    }

    @Test("errored build, errored step and skipped playbook get their own testcases")
    func erroredAndSkipped() throws {
        let root = try Self.parse(JUnitReport.render(ReportFixtures.failing))
        let suites = Self.children(root, "testsuite")
        #expect(suites.count == 4)
        let build = Self.children(suites[1], "testcase")
        #expect(build.count == 1)
        #expect(Self.attribute(build[0], "name") == "build")
        let buildError = try #require(Self.children(build[0], "error").first)
        #expect(Self.attribute(buildError, "message")?.contains("Unknown device type") == true)
        let run = Self.children(suites[2], "testcase")
        #expect(run.count == 1)
        let runError = try #require(Self.children(run[0], "error").first)
        #expect(Self.attribute(runError, "message")?.contains("ENOBUFS") == true)
        let skipped = Self.children(suites[3], "testcase")
        #expect(skipped.count == 1)
        #expect(
            Self.children(skipped[0], "skipped").first.flatMap { Self.attribute($0, "message") }?.contains("ucarp")
                == true)
    }

    @Test("suite names carry the kernel only in a matrix")
    func matrixNames() throws {
        let single = try Self.parse(JUnitReport.render(ReportFixtures.passing))
        #expect(Self.children(single, "testsuite").compactMap { Self.attribute($0, "name") } == ["active-backup-pull"])
        let matrix = try Self.parse(JUnitReport.render(ReportFixtures.matrix))
        #expect(
            Self.children(matrix, "testsuite").compactMap { Self.attribute($0, "name") } == [
                "active-backup-pull [kernel 6.1.0-56-amd64]", "active-backup-pull [kernel 6.12.38+deb13-amd64]",
            ])
    }

    @Test("timestamps drop zone and fraction")
    func timestamp() throws {
        let root = try Self.parse(JUnitReport.render(ReportFixtures.failing))
        let suite = try #require(Self.children(root, "testsuite").first)
        #expect(Self.attribute(suite, "timestamp") == "2026-11-22T11:00:00")
    }
}

@Suite("XML escaping")
struct EscapingTests {
    static let nasty =
        "a \"quoted\" 'single' <tag> & amp; ]]> \u{1}\u{8}\u{1B}[31m\u{7F} tab\there\r\nnew line \u{FFFE} ü"

    @Test("attribute escaping")
    func attribute() {
        #expect(
            XMLText.escape(Self.nasty, attribute: true)
                == "a &quot;quoted&quot; &apos;single&apos; &lt;tag&gt; &amp; amp; ]]&gt; \\u{01}\\u{08}\\u{1B}[31m\\u{7F}"
                + " tab&#9;here&#13;&#10;new line \\u{FFFE} ü")
    }

    @Test("text escaping keeps tab and newline")
    func text() {
        #expect(XMLText.escape("x<y\n\tz&", attribute: false) == "x&lt;y\n\tz&amp;")
    }

    @Test("hostile strings everywhere still give well-formed JUnit that round-trips")
    func roundTrip() throws {
        var runs = ReportFixtures.failing
        runs[0].runID = Self.nasty
        runs[0].environment.kernel = Self.nasty
        runs[0].environment.hostname = Self.nasty
        runs[0].playbooks[0].file = Self.nasty
        runs[0].playbooks[0].assertions[0].actual = Self.nasty
        runs[0].playbooks[1].message = Self.nasty
        let document = try XMLDocument(xmlString: JUnitReport.render(runs), options: [])
        let root = try #require(document.rootElement())
        let suites = root.elements(forName: "testsuite")
        let expected =
            "a \"quoted\" 'single' <tag> & amp; ]]> \\u{01}\\u{08}\\u{1B}[31m\\u{7F} tab\there\r\nnew line \\u{FFFE} ü"
        #expect(suites.first?.attribute(forName: "hostname")?.stringValue == expected)
        let caseElement = try #require(suites.first?.elements(forName: "testcase").first)
        #expect(caseElement.attribute(forName: "classname")?.stringValue == expected)
        let message = caseElement.elements(forName: "failure").first?.attribute(forName: "message")?.stringValue ?? ""
        #expect(message.contains("was " + expected + " at the deadline"))
        let buildMessage = suites[1].elements(forName: "testcase").first?.elements(forName: "error").first?
            .attribute(forName: "message")?.stringValue
        #expect(buildMessage == "playbook errored: " + expected)
    }
}
