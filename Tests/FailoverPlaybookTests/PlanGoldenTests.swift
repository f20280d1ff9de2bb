import FailoverCore
import FailoverFamilies
import FailoverModel
import FailoverPlaybook
import Foundation
import Testing

@Suite("plan renders the documented shell commands")
struct PlanGoldenTests {
    @Test("matches the golden script", arguments: ["sketch", "host-to-host"])
    func golden(name: String) throws {
        let directory = Fixtures.fixtures.appendingPathComponent("plan")
        let yaml = try Fixtures.read(directory.appendingPathComponent("\(name).yaml"))
        let playbook = try PlaybookLoader.load(yaml: yaml, file: "\(name).yaml").playbook
        let script = PlanRenderer.render(playbook, names: RunNames(runID: "000000"))
        let goldenURL = directory.appendingPathComponent("\(name).sh")
        if Fixtures.updating { try script.write(to: goldenURL, atomically: true, encoding: .utf8) }
        let golden = try Fixtures.read(goldenURL)
        #expect(script == golden)
        #expect(script.hasPrefix("#!/bin/sh\n"))
    }

    @Test("every namespace created is deleted")
    func teardownMatchesCreation() throws {
        let yaml = try Fixtures.read(Fixtures.fixtures.appendingPathComponent("plan/sketch.yaml"))
        let playbook = try PlaybookLoader.load(yaml: yaml, file: "sketch.yaml").playbook
        let lines = PlanRenderer.render(playbook, names: RunNames(runID: "00abcd")).split(separator: "\n")
        let added = Set(lines.filter { $0.hasPrefix("ip netns add ") }.map { $0.dropFirst(13) })
        let deleted = Set(lines.filter { $0.hasPrefix("ip netns del ") }.map { $0.dropFirst(13) })
        #expect(added == deleted)
        #expect(added.count == 4)
        #expect(added.allSatisfy { RunNames.isRunNamespace(String($0)) })
    }
}
