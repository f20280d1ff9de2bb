import FailoverModel
import FailoverOrchestration
import Foundation
import Testing

@Suite("Guest protocol: how the host starts failover in the kernel lab")
struct GuestProtocolTests {
    @Test("the guest's command line: run --vm never with the record, run id, log level, accelerator placeholder")
    func argv() {
        let argv = GuestProtocol.argv(
            executable: "/opt/failover", recordPath: "/r/run/record-6.1.json", runID: "00c0de", logLevel: "debug",
            witness: false, playbookFiles: ["Playbooks/a.yaml", "/abs/b.yaml"], cwd: "/home/me")
        #expect(
            argv == [
                "/opt/failover", "run", "--vm", "never", "--guest-record", "/r/run/record-6.1.json", "--run-id",
                "00c0de", "--log-level", "debug", "--guest-accelerator", "@ACCELERATOR@",
                "/home/me/Playbooks/a.yaml", "/abs/b.yaml",
            ])
        let witnessed = GuestProtocol.argv(
            executable: "/opt/failover", recordPath: "/r", runID: "00c0de", logLevel: "notice", witness: true,
            playbookFiles: ["a.yaml"], cwd: "/w")
        #expect(Array(witnessed.suffix(2)) == ["--witness", "/w/a.yaml"])
        #expect(!argv.contains("--witness"))
    }

    @Test("a file whose instances are split between host and lab: the guest is told which ones are its own")
    func instanceSelection() throws {
        // Two playbooks of one file (as the instances of a `matrix:` file are), one of them needs bonding.
        let hostOne = try Sample.plain("m.yaml")
        let labOne = try Sample.bond("m.yaml")
        let other = try Sample.bond("other.yaml")
        let all = [hostOne, labOne, other]
        let placed = try Placement.decide(all, use: .auto, kernelsNamed: false, release: "6.1", hasBonding: false)
        let select = GuestProtocol.selection(lab: placed.lab, all: all)
        #expect(select == [labOne.name, other.name])
        let argv = GuestProtocol.argv(
            executable: "/f", recordPath: "/r", runID: "00c0de", logLevel: "notice", witness: false,
            playbookFiles: placed.lab.map(\.file), select: select, cwd: "/w")
        #expect(
            Array(argv.suffix(6)) == [
                "--guest-instance", labOne.name, "--guest-instance", other.name, "/w/m.yaml", "/w/other.yaml",
            ])
        // The guest loads both files again and keeps the named ones: the host's playbook does not run twice.
        #expect(GuestProtocol.select(all, names: select ?? []).map(\.name) == [labOne.name, other.name])
        // Every instance of the lab's files in the lab: no selection, the guest runs them all.
        #expect(GuestProtocol.selection(lab: [labOne, other], all: [labOne, other]) == nil)
        #expect(GuestProtocol.select(all, names: []).count == 3)
    }

    @Test("one record file per kernel of the matrix")
    func recordName() {
        #expect(GuestProtocol.recordName(kernelRelease: "6.1.0-56-amd64") == "record-6.1.0-56-amd64.json")
        #expect(
            GuestProtocol.recordName(kernelRelease: "6.1.0-56-amd64")
                != GuestProtocol.recordName(kernelRelease: "6.12.0-1-amd64"))
    }

    @Test("progress durations: seconds with two decimals, rounded half up")
    func secondsText() {
        #expect(seconds(.milliseconds(1234)) == "1.23s")
        #expect(seconds(.microseconds(1_235_000)) == "1.24s")
        #expect(seconds(.milliseconds(1244)) == "1.24s")
        #expect(seconds(.zero) == "0.0s")
    }

    @Test("the TCG allowances as documented: +500 ms for timer-derived deadlines, +25 ms witness edges")
    func timing() {
        #expect(VMTiming.tcgAllowance == .milliseconds(500))
        #expect(VMTiming.tcgWitnessAllowance == .milliseconds(25))
        #expect(VMTiming.tcgAllowanceReason.contains("+500ms"))
    }
}

@Suite("lab-exec: resolving the command like a shell")
struct LabExecResolveTests {
    @Test("absolute: as is; with a slash: against the working directory")
    func paths() throws {
        #expect(try LabExecOrchestrator.resolve(["/bin/true", "x"], cwd: "/w", searchPath: "") == ["/bin/true", "x"])
        #expect(try LabExecOrchestrator.resolve(["./t.sh", "-v"], cwd: "/w", searchPath: "") == ["/w/./t.sh", "-v"])
        #expect(try LabExecOrchestrator.resolve(["bin/t"], cwd: "/w", searchPath: "") == ["/w/bin/t"])
    }

    @Test("a bare name: the first executable on the path; a non-executable file or none is a usage error")
    func onPath() throws {
        let first = try Sample.scratch()
        let second = try Sample.scratch()
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        #expect(
            FileManager.default.createFile(
                atPath: first + "/tool", contents: Data(), attributes: [.posixPermissions: 0o644]))
        #expect(
            FileManager.default.createFile(
                atPath: second + "/tool", contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755]))
        let path = first + ":" + second
        #expect(
            try LabExecOrchestrator.resolve(["tool", "a"], cwd: "/w", searchPath: path) == [second + "/tool", "a"])
        let error = #expect(throws: OrchestrationError.self) {
            try LabExecOrchestrator.resolve(["tool"], cwd: "/w", searchPath: first)
        }
        #expect(error == OrchestrationError(.usage, "tool: not found on PATH"))
    }
}

@Suite("run privileges")
struct RunPrivilegesTests {
    static let allCapabilities: UInt64 = (1 << 21) | (1 << 12)

    @Test("root: no problem, whatever the capabilities say")
    func root() {
        #expect(RunPrivileges.problem(euid: 0, effectiveCapabilities: 0, writable: { _ in false }) == nil)
    }

    @Test("not root: CAP_NET_ADMIN + CAP_SYS_ADMIN + both directories writable is enough; each missing one is named")
    func capabilities() {
        #expect(
            RunPrivileges.problem(euid: 1000, effectiveCapabilities: Self.allCapabilities, writable: { _ in true })
                == nil)
        let noSysAdmin = RunPrivileges.problem(euid: 1000, effectiveCapabilities: 1 << 12, writable: { _ in true })
        #expect(noSysAdmin?.hasSuffix("missing: CAP_SYS_ADMIN (to create network namespaces) (euid 1000)") == true)
        let noNetAdmin = RunPrivileges.problem(euid: 1000, effectiveCapabilities: 1 << 21, writable: { _ in true })
        #expect(noNetAdmin?.hasSuffix("missing: CAP_NET_ADMIN (euid 1000)") == true, "\(noNetAdmin ?? "")")
        let owners = RunPrivileges.problem(
            euid: 1000, effectiveCapabilities: Self.allCapabilities, writable: { $0 != RunPrivileges.ownersDirectory })
        #expect(
            owners?.hasSuffix("missing: write access to /run/failover/owners (run owner records) (euid 1000)") == true)
        let unreadable = RunPrivileges.problem(euid: 1000, effectiveCapabilities: nil, writable: { _ in true })
        #expect(unreadable?.contains("CAP_NET_ADMIN, CAP_SYS_ADMIN") == true)
    }
}
