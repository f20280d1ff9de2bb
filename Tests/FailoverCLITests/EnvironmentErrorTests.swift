import Foundation
import Testing

/// Environment errors: exit 70 (or 77 for privileges) with one clear line, never exit 1 (a failed
/// assertion) with a raw error dump, and never after something was built.
@Suite("failover CLI: environment errors")
struct EnvironmentErrorTests {
    /// A bond-free playbook: nothing in these tests gets far enough to build it.
    static let hostPlaybook = """
        name: env-errors
        topology:
          switches: [sw1]
          hosts:
            client:
              cables: {eth0: sw1}
        steps:
          - expect: {carrier: {interface: client/eth0, is: up, within: 1s}}

        """

    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("failover-env-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// failover's own lines on stderr (helpers such as a missing `nft` probed at start may add theirs).
    static func ownLines(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").filter { $0.hasPrefix("failover: ") }.map(String.init)
    }

    /// failover said exactly one line, and it is the last.
    static func oneLine(_ stderr: String) -> Bool {
        ownLines(stderr).count == 1 && stderr.split(separator: "\n").last.map(String.init) == ownLines(stderr).first
    }

    @Test("--results under a file: exit 70, one line naming the path and the reason", .enabled(if: getuid() == 0))
    func resultsNotADirectory() throws {
        let path = try temporaryPlaybook("env.yaml", Self.hostPlaybook)
        defer { removeTemporaryPlaybook(path) }
        let result = try CLI.run(["run", "--vm", "never", "--results", "/dev/null/x", path])
        #expect(result.status == 70, "\(result.stderr)")
        #expect(
            Self.ownLines(result.stderr) == [
                "failover: results: create directory /dev/null/x: Not a directory (errno 20)"
            ],
            "\(result.stderr)")
        #expect(Self.oneLine(result.stderr), "\(result.stderr)")
        #expect(!result.stderr.contains("NSError") && !result.stderr.contains("Domain="))
    }

    @Test("--results that is a symlink: refused with exit 70, nothing written through it", .enabled(if: getuid() == 0))
    func resultsSymlink() throws {
        let base = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: base + "/link", withDestinationPath: base + "/real")
        let path = try temporaryPlaybook("env.yaml", Self.hostPlaybook)
        defer { removeTemporaryPlaybook(path) }
        let result = try CLI.run(["run", "--vm", "never", "--results", base + "/link", path])
        #expect(result.status == 70, "\(result.stderr)")
        #expect(Self.oneLine(result.stderr), "\(result.stderr)")
        #expect(result.stderr.contains("\(base)/link: refused: it is a symbolic link"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/real").isEmpty)
    }

    @Test(
        "only CAP_NET_ADMIN: exit 77 before anything is built, the line says what is missing",
        .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func netAdminOnly() throws {
        let path = try temporaryPlaybook("env.yaml", Self.hostPlaybook)
        defer { removeTemporaryPlaybook(path) }
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o755], ofItemAtPath: (path as NSString).deletingLastPathComponent)
        let results = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: results) }
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: results)
        let result = try CLI.run(
            ["run", "--vm", "never", "--results", results, path],
            prefix: [
                "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all,+net_admin",
                "--ambient-caps=-all,+net_admin",
            ])
        #expect(result.status == 77, "\(result.stderr)")
        #expect(Self.oneLine(result.stderr), "\(result.stderr)")
        #expect(result.stderr.contains("CAP_SYS_ADMIN"), "\(result.stderr)")
        #expect(result.stderr.contains("/run/failover/owners"), "\(result.stderr)")
        #expect(!result.stderr.contains("missing: CAP_NET_ADMIN"), "it has CAP_NET_ADMIN: \(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: results).isEmpty, "checked before any write")
    }

    @Test("--kernel naming a missing file: a sentence naming the path, not an enum case", .enabled(if: getuid() == 0))
    func missingKernel() throws {
        let results = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: results) }
        let path = try temporaryPlaybook("env.yaml", Self.hostPlaybook)
        defer { removeTemporaryPlaybook(path) }
        let kernel = results + "/no-such-vmlinuz"
        let result = try CLI.run(["run", "--results", results, "--kernel", kernel, path])
        #expect(result.status == 70, "\(result.stderr)")
        #expect(
            result.stderr.contains("kernel image \(kernel) cannot be opened: No such file or directory"),
            "\(result.stderr)")
        #expect(!result.stderr.contains("invalidKernelImage"), "\(result.stderr)")
        let labExec = try CLI.run(["lab-exec", "--kernel", kernel, "--", "/bin/true"])
        #expect(labExec.status == 70, "\(labExec.stderr)")
        #expect(labExec.stderr.contains("kernel image \(kernel) cannot be opened"), "\(labExec.stderr)")
        #expect(!labExec.stderr.contains("invalidKernelImage"), "\(labExec.stderr)")
    }

    @Test("lab-exec --help prints lab-exec's help and exits 0; a command after -- is still the command")
    func labExecHelp() throws {
        for flag in ["--help", "-h"] {
            let result = try CLI.run(["lab-exec", flag])
            #expect(result.status == 0, "\(flag): \(result.stderr)")
            #expect(result.stdout.contains("USAGE: failover lab-exec"), "\(flag): \(result.stdout)")
            #expect(!result.stderr.contains("not found on PATH"))
        }
        // After --, --help belongs to the command: looked up on PATH (and not found), exit 64.
        let passed = try CLI.run(["lab-exec", "--", "--help"])
        #expect(passed.status == 64, "\(passed.stderr)")
        #expect(passed.stderr.contains("--help: not found on PATH"), "\(passed.stderr)")
    }
}
