import FailoverSystem
import Foundation
import Synchronization
import SystemPackage
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh temporary directory for captured output.
final class OutputScratch {
    let path: String
    let directory: SafeDirectory

    init() throws {
        path = NSTemporaryDirectory() + "failover-supervisor-\(UUID().uuidString)"
        directory = try SafeDirectory.create(path)
    }

    func text(_ name: String) -> String {
        (try? String(contentsOfFile: path + "/" + name, encoding: .utf8)) ?? "<missing>"
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Descriptor numbers open in /proc/PID/fd.
/// The open descriptors of `pid` once it runs `program` and has settled. Before its exec the
/// child still holds the supervisor's close-on-exec gate and report pipes; right after it,
/// `sleep` itself briefly opens files (locale data). An inherited descriptor never goes away,
/// so waiting up to 2 s for `expected` cannot hide a leak: the last set seen is returned.
func openDescriptors(of pid: Int32, afterExecOf program: String, expecting expected: Set<Int32>) async throws
    -> Set<Int32>
{
    var seen: Set<Int32> = []
    for _ in 0..<400 {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? ""
        if exe.hasSuffix("/" + program) {
            seen = openDescriptors(of: pid)
            if seen == expected { return seen }
        }
        try await Task.sleep(for: .milliseconds(5))
    }
    return seen
}

func openDescriptors(of pid: Int32) -> Set<Int32> {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
    return Set(entries.compactMap { Int32($0) })
}

@Suite("Process supervisor")
struct SupervisorTests {
    @Test("wait status decoding: exit code or signal, never both")
    func statusDecoding() {
        #expect(ExitStatus(rawValue: 7 << 8).exitCode == 7)
        #expect(ExitStatus(rawValue: 7 << 8).signal == nil)
        #expect(ExitStatus(rawValue: 9).exitCode == nil)
        #expect(ExitStatus(rawValue: 9).signal == 9)
        #expect(ExitStatus(rawValue: 15).signal == 15)
        #expect(ExitStatus(rawValue: 0).signal == nil)
        #expect(ExitStatus(rawValue: 9).shellCode == 137)
        #expect(ExitStatus(rawValue: 1 << 8).description == "exited with status 1")
        #expect(ExitStatus(rawValue: 9).description == "killed by signal 9 (SIGKILL)")
    }

    @Test("exit status and terminating signal of real children are reported")
    func exitAndSignal() async throws {
        let exited = try SupervisedProcess.start(ProcessSpec(argv: ["/bin/sh", "-c", "exit 3"]))
        let status = await exited.waitForExit()
        #expect(status.exitCode == 3)
        #expect(status.signal == nil)
        let killed = try SupervisedProcess.start(ProcessSpec(argv: ["/bin/sh", "-c", "kill -USR1 $$"]))
        let signalled = await killed.waitForExit()
        #expect(signalled.signal == SIGUSR1)
        #expect(signalled.exitCode == nil)
        #expect(killed.exitStatus == signalled)
    }

    @Test("a spawned child's lines arrive split, CR stripped, and its exit status is reported")
    func spawnAndRead() async throws {
        let child = try SupervisedProcess.start(
            ProcessSpec(
                argv: ["/bin/sh", "-c", "printf 'one\\r\\ntwo\\nthree'; exit 4"],
                descriptors: [0: .null, 1: .pipeToParent, 2: .null]))
        let lines = Mutex<[String]>([])
        let done = try LineReader.start(fd: #require(child.pipes[1]), name: "test") { line in
            lines.withLock { $0.append(line) }
        }
        let status = await child.waitForExit()
        await done.value
        #expect(status.exitCode == 4)
        #expect(lines.withLock { $0 } == ["one", "two", "three"])
    }

    @Test("stdout and stderr land in their files in the results directory; an existing file is not replaced")
    func outputFiles() async throws {
        let scratch = try OutputScratch()
        let child = try SupervisedProcess.start(
            ProcessSpec(
                argv: ["/bin/sh", "-c", "echo to-out; echo to-err >&2"],
                descriptors: [
                    0: .null, 1: .newFile(scratch.directory, "peer.stdout"),
                    2: .newFile(scratch.directory, "peer.stderr"),
                ]))
        _ = await child.waitForExit()
        #expect(scratch.text("peer.stdout") == "to-out\n")
        #expect(scratch.text("peer.stderr") == "to-err\n")
        #expect(child.outputPaths[2] == scratch.path + "/peer.stderr")
        #expect(child.stderrTail() == "to-err")

        let error = try #require(throws: SystemError.self) {
            try SupervisedProcess.start(
                ProcessSpec(
                    argv: ["/bin/true"], descriptors: [0: .null, 1: .newFile(scratch.directory, "peer.stdout")]))
        }
        #expect(error.errno == .fileExists)
        #expect(scratch.text("peer.stdout") == "to-out\n")
    }

    @Test("no descriptor of ours reaches the child, only the ones asked for")
    func noInheritedDescriptors() async throws {
        // A descriptor without FD_CLOEXEC, as a careless library would leave one.
        let leaked = open("/dev/null", O_RDONLY)
        try #require(leaked > 2)
        defer { close(leaked) }
        #expect(openDescriptors(of: getpid()).contains(leaked))

        let child = try SupervisedProcess.start(ProcessSpec(argv: ["/bin/sleep", "60"]))
        #expect(try await openDescriptors(of: child.pid, afterExecOf: "sleep", expecting: [0, 1, 2]) == [0, 1, 2])
        _ = await child.stop(grace: .seconds(1))

        let extra = try SupervisedProcess.start(
            ProcessSpec(argv: ["/bin/sleep", "60"], descriptors: [0: .null, 1: .null, 2: .null, 7: .null]))
        #expect(
            try await openDescriptors(of: extra.pid, afterExecOf: "sleep", expecting: [0, 1, 2, 7]) == [0, 1, 2, 7])
        _ = await extra.stop(grace: .seconds(1))
    }

    @Test("a child that ignores SIGTERM is SIGKILLed once the grace period is over, not before")
    func stopEscalates() async throws {
        let scratch = try OutputScratch()
        let stubborn = try SupervisedProcess.start(
            ProcessSpec(
                argv: ["/bin/sh", "-c", "trap '' TERM; echo armed; while :; do sleep 0.02; done"],
                descriptors: [0: .null, 1: .newFile(scratch.directory, "out"), 2: .null]))
        try await stubborn.waitUntilReady(.outputLine(containing: "armed", descriptor: 1), timeout: .seconds(5))
        let clock = ContinuousClock()
        let start = clock.now
        let status = await stubborn.stop(signal: SIGTERM, grace: .milliseconds(300))
        let took = clock.now - start
        #expect(status.signal == SIGKILL)
        #expect(took >= .milliseconds(300))
        #expect(took < .seconds(30))

        // Just inside: a child that obeys SIGTERM ends with it (SIGKILL would mean the grace ran out).
        let obedient = try SupervisedProcess.start(ProcessSpec(argv: ["/bin/sleep", "60"]))
        let ended = await obedient.stop(signal: SIGTERM, grace: .seconds(20))
        #expect(ended.signal == SIGTERM)
        // Stopping again neither signals nor waits.
        #expect(await obedient.stop(grace: .seconds(3)) == ended)
    }

    @Test("readiness by a log line: a line that never comes times out with an error naming the condition")
    func readinessTimesOut() async throws {
        let scratch = try OutputScratch()
        let child = try SupervisedProcess.start(
            ProcessSpec(
                argv: ["/bin/sh", "-c", "echo starting >&2; exec sleep 60"],
                descriptors: [0: .null, 1: .null, 2: .newFile(scratch.directory, "err")]))
        defer { child.signal(SIGKILL) }
        let error = try await #require(throws: SystemError.self) {
            try await child.waitUntilReady(
                .outputLine(containing: "listening on", descriptor: 2), timeout: .milliseconds(200))
        }
        #expect(error.errno == .timedOut)
        #expect(error.description.contains("a line containing \"listening on\" on descriptor 2"), "\(error)")
        #expect(error.description.contains("not ready within"), "\(error)")
        #expect(error.process?.stderrTail == "starting")
        // The line that is there is found.
        try await child.waitUntilReady(.outputLine(containing: "starting", descriptor: 2), timeout: .seconds(5))
    }

    /// A condition that becomes true `offset` after its first check (which is after the deadline was set).
    static func becomesTrue(after offset: Int64) -> @Sendable () -> Bool {
        let first = Mutex<UInt64?>(nil)
        return {
            let now = MonotonicTime.now()
            let start = first.withLock { value -> UInt64 in
                if let value { return value }
                value = now
                return now
            }
            return Int64(now - start) >= offset
        }
    }

    @Test("readiness is judged against the deadline: ready 1 ms after it fails, ready before it passes")
    func readinessBounds() async throws {
        let child = try SupervisedProcess.start(ProcessSpec(argv: ["/bin/sleep", "60"]))
        defer { child.signal(SIGKILL) }
        // Just outside: true 1 ms after the deadline. Just inside: with a margin for the scheduling
        // of the checking thread on a loaded machine (2 cores shared by several builds).
        let timeout: Int64 = 400_000_000
        let error = try await #require(throws: SystemError.self) {
            try await child.waitUntilReady(
                .condition("late", Self.becomesTrue(after: timeout + 1_000_000)), timeout: .nanoseconds(timeout))
        }
        #expect(error.errno == .timedOut)
        try await child.waitUntilReady(
            .condition("early", Self.becomesTrue(after: timeout - 150_000_000)), timeout: .nanoseconds(timeout))
    }

    @Test("readiness fails at once when the process ends first, with its status and stderr")
    func readinessProcessEnded() async throws {
        let scratch = try OutputScratch()
        let child = try SupervisedProcess.start(
            ProcessSpec(
                argv: ["/bin/sh", "-c", "echo 'bad option' >&2; exit 2"],
                descriptors: [0: .null, 1: .null, 2: .newFile(scratch.directory, "err")]))
        // Long before the timeout: ESRCH, not ETIMEDOUT.
        let error = try await #require(throws: SystemError.self) {
            try await child.waitUntilReady(.pathExists(scratch.path + "/never"), timeout: .seconds(60))
        }
        #expect(error.errno == .noSuchProcess)
        #expect(error.process?.status?.exitCode == 2)
        #expect(error.description.contains("exited with status 2; stderr: bad option"), "\(error)")
    }

    @Test("readiness by a pid file and by a path")
    func readinessPidFileAndPath() async throws {
        let scratch = try OutputScratch()
        let pidFile = scratch.path + "/daemon.pid"
        let child = try SupervisedProcess.start(
            ProcessSpec(argv: ["/bin/sh", "-c", "sleep 0.5; echo $$ > \(pidFile); exec sleep 60"]))
        defer { child.signal(SIGKILL) }
        #expect(!FileManager.default.fileExists(atPath: pidFile))
        try await child.waitUntilReady(.pidFile(pidFile), timeout: .seconds(5))
        try await child.waitUntilReady(.pathExists(pidFile), timeout: .seconds(1))
        // A pid file naming a dead process is not ready.
        try "999999999\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        await #expect(throws: SystemError.self) {
            try await child.waitUntilReady(.pidFile(pidFile), timeout: .milliseconds(100))
        }
    }

    @Test("the recorder gets the real PID and start time before the program runs, and the end after the reap")
    func recorderBeforeExec() async throws {
        struct Seen: Sendable {
            var started: ProcessRecord?
            var exitedBeforeRecordReturned = true
            var ended: ProcessRecord?
        }
        let seen = Mutex(Seen())
        let recorder = ProcessRecorder(
            started: { record in
                // /bin/true would be long gone after 200 ms if it were already running.
                usleep(200_000)
                var info = siginfo_t()
                let rc = waitid(P_PID, id_t(record.pid), &info, WEXITED | WNOHANG | WNOWAIT)
                let exited = rc != 0 || info._sifields._sigchld.si_pid == record.pid
                seen.withLock {
                    $0.started = record
                    $0.exitedBeforeRecordReturned = exited
                }
            },
            ended: { record in seen.withLock { $0.ended = record } })
        let child = try SupervisedProcess.start(ProcessSpec(argv: ["/bin/true"]), recorder: recorder)
        let status = await child.waitForExit()
        #expect(status.exitCode == 0)
        let state = seen.withLock { $0 }
        #expect(state.started?.pid == child.pid)
        #expect(state.started?.argv == ["/bin/true"])
        #expect(state.started?.startTime != nil)
        #expect(state.started?.startTime == child.record.startTime)
        #expect(state.exitedBeforeRecordReturned == false)
        #expect(state.ended?.pid == child.pid)
    }

    @Test("a program that cannot be started is an error naming it, with errno; a relative argv[0] is refused")
    func spawnFailures() throws {
        let missing = try #require(throws: SystemError.self) {
            try SupervisedProcess.start(ProcessSpec(argv: ["/nonexistent/failover-peer", "-x"]))
        }
        #expect(missing.errno == .noSuchFileOrDirectory)
        #expect(missing.description.hasPrefix("spawn /nonexistent/failover-peer: ENOENT: "), "\(missing)")
        let relative = try #require(throws: SystemError.self) {
            try SupervisedProcess.start(ProcessSpec(argv: ["sh", "-c", "true"]))
        }
        #expect(relative.errno == .invalidArgument)
    }

    @Test("one-shot run collects stderr and the exit status")
    func oneShot() throws {
        let result = try SupervisedProcess.run(["/bin/sh", "-c", "echo nope >&2; exit 5"])
        #expect(result.status.exitCode == 5)
        #expect(result.stderr == "nope")
        #expect(try SupervisedProcess.run(["/bin/true"]).status.exitCode == 0)
    }
}

@Suite("System error and clock")
struct SystemErrorTests {
    @Test("the description names the operation, object, errno name, text and number")
    func description() {
        let error = SystemError(operation: "create veth", object: "ns/h1-eth0", errno: .fileExists)
        #expect(error.description == "create veth ns/h1-eth0: EEXIST: File exists (errno 17)")
        let withKernel = SystemError(
            operation: "set", object: "ns/bond0", errno: .noDevice, kernelMessage: "interface does not exist")
        #expect(withKernel.description.hasSuffix("(errno 19): interface does not exist"))
        #expect(withKernel.isAlreadyGone)
        #expect(!error.isAlreadyGone)
        let process = SystemError(
            operation: "ip link add", object: "", errno: .ioError,
            process: .init(program: "/usr/sbin/ip", status: ExitStatus(rawValue: 2 << 8), stderrTail: "a\nb"))
        #expect(process.description.hasSuffix("; /usr/sbin/ip exited with status 2; stderr: a | b"))
    }

    @Test("valueOrErrno: -1 becomes errno, anything else the value")
    func errnoWrapper() throws {
        #expect(try valueOrErrno { Int32(5) }.get() == 5)
        let failed = valueOrErrno { close(-1) }
        #expect(throws: Errno.badFileDescriptor) { try failed.get() }
    }

    @Test("the monotonic clock advances and the absolute sleep waits until its deadline")
    func clock() {
        let start = MonotonicTime.now()
        MonotonicTime.sleep(until: start + 20_000_000)
        let end = MonotonicTime.now()
        #expect(end >= start + 20_000_000)
        #expect(end < start + 2_000_000_000)
        // A deadline in the past returns at once.
        MonotonicTime.sleep(until: start)
        #expect(MonotonicTime.now() - end < 1_000_000_000)
    }
}
