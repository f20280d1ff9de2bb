import FailoverVM
import Foundation
import Synchronization
import Testing

/// Boots the installed stock kernel in qemu (TCG here) and runs commands in it.
@Suite(
    "Kernel lab (qemu)", .serialized, .timeLimit(.minutes(5)),
    .enabled(if: IntegrationGate.enabled, "needs root and FAILOVER_INTEGRATION=1"))
struct VMKernelLabTests {
    /// This suite's own parent for job directories, so concurrent VM runs of others do not disturb the checks.
    let scratch: VMScratch

    init() throws { scratch = try VMScratch() }

    @Test("a bond in a guest netns: exit code, stdout, stderr, env, cwd and a writable share come back")
    func bondInGuest() async throws {
        let kernel = try KernelLocator.defaultKernel()
        let shared = try VMLeftovers.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: shared) }
        let before = VMLeftovers.snapshot(scratch)
        let script = """
            set -e
            ip netns add fo4a1b2c-vm
            ip -n fo4a1b2c-vm link add bond0 type bond mode active-backup miimon 100
            ip netns exec fo4a1b2c-vm cat /proc/net/bonding/bond0
            echo "to-stderr $FO_GREETING" >&2
            pwd > "$FO_SHARED/cwd"
            uname -r > "$FO_SHARED/release"
            exit 7
            """
        let lines = Mutex<[VMOutputLine]>([])
        let result = try await KernelLab(temporaryDirectory: scratch.path).run(
            VMRunRequest(
                kernel: kernel, argv: ["/bin/sh", "-c", script],
                environment: ["FO_GREETING": "hello 'quoted' world", "FO_SHARED": shared], workingDirectory: "/usr",
                writableDirectories: [shared], timeout: .seconds(120), accelerator: .tcg),
            lines: { line in lines.withLock { $0.append(line) } })
        let output = lines.withLock { $0 }
        let stdout = output.filter { $0.stream == .stdout }.map(\.text)
        let stderr = output.filter { $0.stream == .stderr }.map(\.text)

        #expect(result.exitCode == 7)
        #expect(result.accelerator == .tcg)
        #expect(result.kernelRelease == kernel.release)
        #expect(stdout.contains("Bonding Mode: fault-tolerance (active-backup)"), "stdout: \(stdout)")
        #expect(stdout.contains("MII Polling Interval (ms): 100"))
        #expect(stderr == ["to-stderr hello 'quoted' world"], "stderr: \(stderr)")
        #expect(!stdout.contains { $0.contains("@@fo-vm") })
        let cwd = try String(contentsOfFile: shared + "/cwd", encoding: .utf8)
        #expect(cwd == "/usr\n")
        let release = try String(contentsOfFile: shared + "/release", encoding: .utf8)
        #expect(release == kernel.release + "\n")
        #expect(result.bootToCommand > .zero && result.bootToCommand < result.total)
        #expect(VMLeftovers.snapshot(scratch) == before)
    }

    @Test("a command that never ends is killed at the timeout and leaves nothing behind")
    func timeoutKillsQEMU() async throws {
        let kernel = try KernelLocator.defaultKernel()
        let before = VMLeftovers.snapshot(scratch)
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: VMError.self) {
            _ = try await KernelLab(temporaryDirectory: scratch.path).run(
                VMRunRequest(
                    kernel: kernel, argv: ["/bin/sleep", "100000"], timeout: .seconds(15), accelerator: .tcg),
                output: { _ in })
        }
        #expect(error?.code == .timedOut, "\(String(describing: error))")
        #expect(clock.now - start < .seconds(25))
        #expect(VMLeftovers.snapshot(scratch) == before)
    }

    @Test("cancelling the task kills qemu and reports .cancelled")
    func cancellationKillsQEMU() async throws {
        let kernel = try KernelLocator.defaultKernel()
        let before = VMLeftovers.snapshot(scratch)
        let started = OneLineSignal()
        let task = Task {
            try await KernelLab(temporaryDirectory: scratch.path).run(
                VMRunRequest(
                    kernel: kernel, argv: ["/bin/sh", "-c", "echo started; exec sleep 100000"],
                    timeout: .seconds(120), accelerator: .tcg),
                output: { line in if line == "started" { started.fire() } })
        }
        await started.wait()
        task.cancel()
        let result = await task.result
        #expect(throws: VMError.self) { try result.get() }
        if case .failure(let error as VMError) = result { #expect(error.code == .cancelled) }
        #expect(VMLeftovers.snapshot(scratch) == before)
    }

    @Test(".auto probes KVM (which hangs on nested hosts) and still runs the command")
    func autoAccelerator() async throws {
        let kernel = try KernelLocator.defaultKernel()
        let before = VMLeftovers.snapshot(scratch)
        let result = try await KernelLab(temporaryDirectory: scratch.path).run(
            VMRunRequest(kernel: kernel, argv: ["/bin/true"], timeout: .seconds(90), accelerator: .auto),
            output: { _ in })
        #expect(result.exitCode == 0)
        #expect(result.accelerator == .kvm || result.accelerator == .tcg)
        #expect(VMLeftovers.snapshot(scratch) == before)
    }
}

/// Ad-hoc runner for other helpers: `scripts/vm-run.sh CMD ARGS...` (see that script).
@Suite("Kernel lab ad-hoc run")
struct VMAdHocRun {
    @Test(
        "run FAILOVER_VM_ARGV in the VM",
        .enabled(if: ProcessInfo.processInfo.environment["FAILOVER_VM_ARGV"] != nil, "set FAILOVER_VM_ARGV"))
    func adHoc() async throws {
        let environment = ProcessInfo.processInfo.environment
        let argv = (environment["FAILOVER_VM_ARGV"] ?? "").split(separator: "\u{1F}").map(String.init)
        let kernel =
            try environment["FAILOVER_VM_KERNEL"].map { try KernelLocator.kernel(at: $0) }
            ?? KernelLocator.defaultKernel()
        let writable = (environment["FAILOVER_VM_RW"] ?? "").split(separator: ":").map(String.init)
        let timeout = Int(environment["FAILOVER_VM_TIMEOUT"] ?? "") ?? 300
        let accelerator = Accelerator(rawValue: environment["FAILOVER_VM_ACCEL"] ?? "auto") ?? .auto
        var guestEnvironment: [String: String] = ["TERM": "dumb", "HOME": "/root"]
        for (key, value) in environment where key.hasPrefix("FAILOVER_VM_ENV_") {
            guestEnvironment[String(key.dropFirst("FAILOVER_VM_ENV_".count))] = value
        }
        let result = try await KernelLab().run(
            VMRunRequest(
                kernel: kernel, argv: argv, environment: guestEnvironment,
                workingDirectory: environment["FAILOVER_VM_CWD"] ?? "/", writableDirectories: writable,
                timeout: .seconds(timeout), accelerator: accelerator),
            lines: { line in
                let prefix = line.stream == .stdout ? "[vm] " : "[vm:err] "
                FileHandle.standardError.write(Data((prefix + line.text + "\n").utf8))
            })
        FileHandle.standardError.write(
            Data(
                "[vm] exit code: \(result.exitCode) (\(result.accelerator), boot \(result.bootToCommand), total \(result.total))\n"
                    .utf8))
        #expect(result.exitCode == Int32(environment["FAILOVER_VM_EXPECT"] ?? "0"))
    }
}

/// What a VM run could leave behind: qemu children of this process and `failover-vm-*` temp directories.
enum VMLeftovers: Equatable {
    struct Snapshot: Equatable {
        var qemuChildren: [String]
        var jobDirectories: [String]
    }

    static func snapshot(_ scratch: VMScratch) -> Snapshot {
        let me = getpid()
        var children: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8) else { continue }
            // "pid (comm) state ppid ...": the ppid is the second field after the last ')'.
            guard let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == me, stat.contains("(qemu-system") { children.append(entry) }
        }
        let jobs = ((try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? []).sorted()
        return Snapshot(qemuChildren: children.sorted(), jobDirectories: jobs)
    }

    static func makeDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/fo-vmtest-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }
}

/// Fires once; `wait()` returns after it fired.
final class OneLineSignal: Sendable {
    private let state = Mutex<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let fired = state.withLock { state -> Bool in
                if state.fired { return true }
                state.waiters.append(continuation)
                return false
            }
            if fired { continuation.resume() }
        }
    }
}

/// A temp directory removed when the suite instance goes away.
final class VMScratch: Sendable {
    let path: String

    init() throws {
        path = try VMLeftovers.makeDirectory()
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
