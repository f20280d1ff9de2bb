import Foundation
import Testing

/// Runs the built `failover` binary (it sits beside the test bundle in the build directory).
struct CLI {
    static var binary: String {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidates = [bundle.appendingPathComponent("failover").path]
        // swift-testing may run from a helper binary inside the .xctest bundle directory.
        candidates.append(bundle.deletingLastPathComponent().appendingPathComponent("failover").path)
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(repo.appendingPathComponent(".build/debug/failover").path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], prefix: [String] = [], cwd: String? = nil) throws -> Result {
        let process = Process()
        if prefix.isEmpty {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: prefix[0])
            process.arguments = Array(prefix.dropFirst()) + [binary] + arguments
        }
        if let cwd { process.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

func temporaryPlaybook(_ name: String, _ text: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("failover-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// Removes the directory `temporaryPlaybook` made.
func removeTemporaryPlaybook(_ path: String) {
    try? FileManager.default.removeItem(at: URL(fileURLWithPath: path).deletingLastPathComponent())
}

let sketch = """
    name: active-backup, pull and plug both slaves
    seed: 001 — after a pull the other slave takes over; plugging back does not fail back
    topology:
      switches: [sw]
      hosts:
        server:
          cables: {eth0: sw, eth1: sw}
          bonds:
            bond0: {mode: active-backup, miimon: 100, slaves: [eth0, eth1], address: 198.18.0.1/24}
        client:
          cables: {eth0: sw}
          address: {eth0: 198.18.0.10/24}
    steps:
      - expect: {active_slave: {bond: server/bond0, is: eth0}}
      - pull: server/eth0
      - expect: {active_slave: {bond: server/bond0, is: eth1, within: 500ms}}
      - plug: server/eth0
      - hold: 1s
      - expect: {active_slave: {bond: server/bond0, is: eth1}}

    """

@Suite("failover CLI")
struct CLITests {
    @Test("validate: a valid playbook exits 0")
    func validateValid() throws {
        let path = try temporaryPlaybook("ok.yaml", sketch)
        defer { removeTemporaryPlaybook(path) }
        let result = try CLI.run(["validate", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "1 playbook valid\n")
    }

    @Test("validate: a misspelled key prints file:line:col and the suggestion, exits 65")
    func validateMisspelled() throws {
        let path = try temporaryPlaybook(
            "typo.yaml", sketch.replacingOccurrences(of: "miimon: 100", with: "miimom: 100"))
        defer { removeTemporaryPlaybook(path) }
        let result = try CLI.run(["validate", path])
        #expect(result.status == 65)
        // `miimom` is on line 9, after `{mode: active-backup, ` (column 38).
        #expect(result.stderr.contains("\(path):9:38: error:"), "\(result.stderr)")
        #expect(result.stderr.contains("did you mean 'miimon'?"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("validate: several problems are all reported at once")
    func validateMany() throws {
        let text = sketch.replacingOccurrences(of: "miimon: 100", with: "miimon: -5")
            .replacingOccurrences(of: "pull: server/eth0", with: "pull: server/eth7")
        let path = try temporaryPlaybook("many.yaml", text)
        defer { removeTemporaryPlaybook(path) }
        let result = try CLI.run(["validate", path])
        #expect(result.status == 65)
        let errors = result.stderr.split(separator: "\n").filter { $0.contains(": error:") }
        #expect(errors.count >= 2, "\(result.stderr)")
        #expect(errors.contains { $0.hasPrefix("\(path):9:") })
        #expect(errors.contains { $0.hasPrefix("\(path):15:") })
    }

    @Test("plan: prints commands a person could run, with namespaces named from the run id")
    func plan() throws {
        let path = try temporaryPlaybook("plan.yaml", sketch)
        defer { removeTemporaryPlaybook(path) }
        let result = try CLI.run(["plan", path, "--run-id", "00c0de"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("ip netns add fo00c0de-server"))
        #expect(result.stdout.contains("ip netns add fo00c0de-sw"))
        #expect(result.stdout.contains("type bond"))
        #expect(result.stdout.contains("ip netns del fo00c0de-server"))
    }

    @Test("bad usage exits 64")
    func usage() throws {
        #expect(try CLI.run(["run", "--vm", "sometimes", "x.yaml"]).status == 64)
        #expect(try CLI.run(["frobnicate"]).status == 64)
    }

    @Test("run: an invalid playbook exits 65 before anything is built")
    func runInvalid() throws {
        let path = try temporaryPlaybook("bad.yaml", "name: x\ntopology: {}\nstepz: []\n")
        defer { removeTemporaryPlaybook(path) }
        let result = try CLI.run(["run", "--vm", "never", path])
        #expect(result.status == 65)
        #expect(result.stderr.contains("did you mean 'steps'?"), "\(result.stderr)")
    }

    @Test(
        "run without privileges exits 77 with a clear line",
        .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func runUnprivileged() throws {
        let path = try temporaryPlaybook("ok.yaml", sketch)
        defer { removeTemporaryPlaybook(path) }
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o755], ofItemAtPath: (path as NSString).deletingLastPathComponent)
        let result = try CLI.run(
            ["run", "--vm", "never", "--results", "/tmp", path],
            prefix: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"])
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("CAP_NET_ADMIN"), "\(result.stderr)")
    }
}
