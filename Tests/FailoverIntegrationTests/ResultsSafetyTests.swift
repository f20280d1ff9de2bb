import Foundation
import Testing

/// Everything `run` writes stays inside its run directory, whatever the playbook's names and
/// whatever is planted around it (issue 9 point 1), and JUnit classnames are not absolute paths.
@Suite(
    "failover run: writes stay inside the results", .serialized,
    .enabled(if: IntegrationGate.enabled, "needs root and FAILOVER_INTEGRATION=1"))
struct ResultsSafetyTests {
    static func ownLines(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").filter { $0.hasPrefix("failover: ") }.map(String.init)
    }

    @Test("--junit naming a symlink: refused (exit 70, one line), its target untouched", .timeLimit(.minutes(2)))
    func junitSymlink() throws {
        let scratch = try FailoverBinary.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try Data("precious".utf8).write(to: URL(fileURLWithPath: scratch + "/victim"))
        try FileManager.default.createSymbolicLink(
            atPath: scratch + "/junit.xml", withDestinationPath: scratch + "/victim")
        let result = try FailoverBinary.run([
            "run", "--vm", "never", "--run-id", "0ca1f1", "--results", scratch + "/results", "--junit",
            scratch + "/junit.xml", "Playbooks/host/carrier-pull.yaml",
        ])
        #expect(result.status == 70, "\(result.stderr)")
        #expect(Self.ownLines(result.stderr).count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("it exists and is a symbolic link"), "\(result.stderr)")
        #expect(FileManager.default.contents(atPath: scratch + "/victim") == Data("precious".utf8))
        #expect(try HostSystem.namespaces(withRunID: "0ca1f1").isEmpty)
    }

    @Test("an absolute playbook path under the working directory gives a relative classname", .timeLimit(.minutes(2)))
    func relativeClassname() throws {
        let scratch = try FailoverBinary.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let result = try FailoverBinary.run([
            "run", "--vm", "never", "--run-id", "0ca1f2", "--results", scratch,
            FailoverBinary.repository + "/Playbooks/host/carrier-pull.yaml",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let junit = String(
            decoding: try #require(FileManager.default.contents(atPath: scratch + "/latest/junit.xml")), as: UTF8.self)
        #expect(junit.contains("classname=\"Playbooks/host/carrier-pull.yaml\""), "\(junit)")
        #expect(!junit.contains("classname=\"/"))
    }

    @Test(
        "a probe name climbing out with ../ puts its witness capture inside captures/, an existing file there is kept",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump")), .timeLimit(.minutes(2)))
    func witnessTraversal() throws {
        let scratch = try FailoverBinary.scratch()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let target = scratch + "/escaped"
        try FileManager.default.createDirectory(atPath: target + "/deeper", withIntermediateDirectories: true)
        // The file the old path construction wrote over (deleting it first).
        let victim = target + "/deeper/f-forward-0ca1f3.pcap"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        let probe = "x/" + String(repeating: "../", count: 20) + String(target.dropFirst()) + "/deeper/f"
        let text = try String(
            contentsOfFile: FailoverBinary.repository + "/Playbooks/host/probe-pull-200ms.yaml", encoding: .utf8
        )
        .replacingOccurrences(of: "{name: p1,", with: "{name: \"\(probe)\",")
        .replacingOccurrences(of: "probe: p1", with: "probe: \"\(probe)\"")
        let playbook = scratch + "/traversal.yaml"
        try Data(text.utf8).write(to: URL(fileURLWithPath: playbook))
        let result = try FailoverBinary.run([
            "run", "--vm", "never", "--witness", "--run-id", "0ca1f3", "--results", scratch + "/results", playbook,
        ])
        // Whatever the verdict (a loader that refuses the name exits 65): nothing escapes.
        #expect(FileManager.default.contents(atPath: victim) == Data("precious".utf8), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: target + "/deeper") == ["f-forward-0ca1f3.pcap"])
        if result.status != 65 {
            let captures = try FileManager.default.contentsOfDirectory(atPath: scratch + "/results/latest/captures")
            #expect(captures.count == 1, "\(captures)")
            #expect(captures.allSatisfy { $0.hasPrefix("witness-traversal-x%2F%2E%2E%2F") }, "\(captures)")
        }
        #expect(try HostSystem.namespaces(withRunID: "0ca1f3").isEmpty)
    }
}
