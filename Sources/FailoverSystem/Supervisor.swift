internal import CNetShims
import Foundation
import Synchronization
public import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// How a child's file descriptor is connected.
public enum ChildDescriptor: Sendable {
    /// `/dev/null`.
    case null
    /// A pipe whose read end the parent keeps (`SupervisedProcess.pipes`).
    case pipeToParent
    /// An existing parent descriptor (duplicated onto the target).
    case descriptor(Int32)
    /// The file at `path`, created or truncated (mode 0644), for output.
    case file(String)
    /// A new file `name` in `directory` (a run's results): never replaces or follows an entry.
    case newFile(SafeDirectory, String)
}

/// What to start: argv (never a shell string), descriptors, namespace, lifetime.
public struct ProcessSpec: Sendable {
    /// argv[0] is an absolute path; no PATH search, no shell.
    public var argv: [String]
    /// Target descriptor → connection. Nothing else is inherited (every other descriptor is closed).
    public var descriptors: [Int32: ChildDescriptor]
    /// The network namespace (a name under /run/netns) to start in; nil: the current one.
    public var networkNamespace: String?
    /// SIGKILL the child when this process dies (PR_SET_PDEATHSIG).
    public var diesWithParent: Bool
    /// `KEY=value` entries; nil inherits this process's environment.
    public var environment: [String]?

    public init(
        argv: [String], descriptors: [Int32: ChildDescriptor] = [0: .null, 1: .null, 2: .null],
        networkNamespace: String? = nil, diesWithParent: Bool = true, environment: [String]? = nil
    ) {
        self.argv = argv
        self.descriptors = descriptors
        self.networkNamespace = networkNamespace
        self.diesWithParent = diesWithParent
        self.environment = environment
    }

    /// The program's file name (`tcpdump`), for logs and records.
    public var name: String { argv.first.map { String($0.split(separator: "/").last ?? "") } ?? "" }
}

/// One started process, as given to a `ProcessRecorder`: PID and start time name it for good.
public struct ProcessRecord: Sendable, Hashable {
    public var pid: Int32
    /// Field 22 of /proc/PID/stat (clock ticks since boot); nil if it could not be read.
    public var startTime: UInt64?
    public var argv: [String]
    /// The program's file name.
    public var name: String { argv.first.map { String($0.split(separator: "/").last ?? "") } ?? "" }
}

/// Receives every supervised process: `started` before the program runs (the child waits at a gate
/// between fork and exec until `started` has returned), `ended` once it is reaped. A run's recorder
/// writes the owner record, so `failover cleanup` finds the process after the harness was killed.
public struct ProcessRecorder: Sendable {
    public var started: @Sendable (ProcessRecord) -> Void
    public var ended: @Sendable (ProcessRecord) -> Void

    public init(
        started: @escaping @Sendable (ProcessRecord) -> Void, ended: @escaping @Sendable (ProcessRecord) -> Void
    ) {
        self.started = started
        self.ended = ended
    }
}

/// When a started process counts as ready.
public enum Readiness: Sendable, CustomStringConvertible {
    /// A line containing `text` appeared in the file captured for `descriptor` (`.file`/`.newFile`).
    case outputLine(containing: String, descriptor: Int32)
    /// The path exists (a socket, a control file).
    case pathExists(String)
    /// The file holds the PID of a live process (a daemon's pid file).
    case pidFile(String)
    /// A condition of the caller's, described in words for the error.
    case condition(String, @Sendable () -> Bool)

    public var description: String {
        switch self {
        case .outputLine(let text, let descriptor): "a line containing \"\(text)\" on descriptor \(descriptor)"
        case .pathExists(let path): "\(path) exists"
        case .pidFile(let path): "pid file \(path) names a live process"
        case .condition(let text, _): text
        }
    }
}

/// A child process started by the one supervisor of the project: argv only, inside a network
/// namespace or the current one, no inherited descriptors, output captured where asked, recorded
/// (`ProcessRecorder`) before it runs, reaped exactly once by a dedicated thread, optionally dying
/// with this process, and stopped with a signal, a deadline, then SIGKILL.
///
/// `signal(_:)` and the reaping take the same lock, so a signal never reaches a recycled PID:
/// the waiter first waits with `WNOWAIT` (the zombie keeps the PID), then reaps under the lock.
public final class SupervisedProcess: Sendable {
    /// The child's PID.
    public let pid: Int32
    /// What was started.
    public let spec: ProcessSpec
    /// PID + start time + argv, as recorded.
    public let record: ProcessRecord
    /// Parent read ends of `.pipeToParent` descriptors, by target descriptor (the caller reads and closes).
    public let pipes: [Int32: Int32]
    /// Paths of `.file` / `.newFile` captures, by target descriptor.
    public let outputPaths: [Int32: String]
    private let state = Mutex<(reaped: Bool, status: Int32?)>((false, nil))
    private let exit = OneShot<ExitStatus>()
    private let recorder: ProcessRecorder?

    private init(
        pid: Int32, spec: ProcessSpec, record: ProcessRecord, pipes: [Int32: Int32], outputPaths: [Int32: String],
        recorder: ProcessRecorder?
    ) {
        self.pid = pid
        self.spec = spec
        self.record = record
        self.pipes = pipes
        self.outputPaths = outputPaths
        self.recorder = recorder
    }

    /// Starts `spec`. The child gets default signal dispositions and an empty signal mask, the
    /// descriptors of `spec` and no other, and (when `diesWithParent`) PR_SET_PDEATHSIG SIGKILL: it is
    /// forked by `SpawnerThread`, which lives as long as the process (the death signal follows the
    /// forking *thread*). A namespace is entered by setns(2) in the child between fork and exec.
    /// `recorder.started` is called with the PID and start time before the program runs.
    /// - Throws: `SystemError` (open, pipe, the namespace, fork, exec) with errno and the program.
    public static func start(_ spec: ProcessSpec, recorder: ProcessRecorder? = nil) throws(SystemError)
        -> SupervisedProcess
    {
        guard let path = spec.argv.first, path.hasPrefix("/") else {
            throw SystemError(
                operation: "spawn", object: spec.argv.first ?? "<empty argv>", errno: .invalidArgument,
                kernelMessage: "argv[0] must be an absolute path")
        }
        var opened: [Int32] = []
        defer { for fd in opened { close(fd) } }
        var parentEnds: [Int32: Int32] = [:]
        var outputPaths: [Int32: String] = [:]
        var sources: [Int32] = []
        var targets: [Int32] = []
        var nullFD: Int32 = -1
        func failed(_ error: SystemError) -> SystemError {
            for fd in parentEnds.values { close(fd) }
            return error
        }
        for (target, connection) in spec.descriptors.sorted(by: { $0.key < $1.key }) {
            let source: Int32
            switch connection {
            case .null:
                if nullFD < 0 {
                    do {
                        nullFD = try syscall("open", "/dev/null") { open("/dev/null", O_RDWR | O_CLOEXEC) }
                    } catch { throw failed(error) }
                    opened.append(nullFD)
                }
                source = nullFD
            case .pipeToParent:
                var ends: [Int32] = [-1, -1]
                do {
                    try syscall("pipe", path) { pipe(&ends) }
                } catch { throw failed(error) }
                _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
                _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
                parentEnds[target] = ends[0]
                opened.append(ends[1])
                source = ends[1]
            case .descriptor(let fd):
                source = fd
            case .file(let file):
                do {
                    source = try syscall("open", file) {
                        open(file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
                    }
                } catch { throw failed(error) }
                opened.append(source)
                outputPaths[target] = file
            case .newFile(let directory, let name):
                do {
                    source = try directory.openNewFile(name)
                } catch {
                    throw failed(
                        SystemError(
                            operation: "create output file", object: directory.path(of: name),
                            errno: Errno(rawValue: error.errno ?? EINVAL), kernelMessage: error.detail))
                }
                opened.append(source)
                outputPaths[target] = directory.path(of: name)
            }
            sources.append(source)
            targets.append(target)
        }
        var namespaceFD: Int32 = -1
        if let namespace = spec.networkNamespace {
            do { namespaceFD = try NetworkNamespace.open(namespace) } catch { throw failed(error) }
            opened.append(namespaceFD)
        }
        let (sourceFDs, targetFDs, netns, dies) = (sources, targets, namespaceFD, spec.diesWithParent)
        let argv = spec.argv
        let environment = spec.environment
        let started = SpawnerThread.shared.run { () -> (pid: Int32, report: Int32, gate: Int32, errno: Int32) in
            let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
            defer { for pointer in cArguments { free(pointer) } }
            let cEnvironment: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup($0) } + [nil] }
            defer { for pointer in cEnvironment ?? [] { free(pointer) } }
            var report: Int32 = -1
            var gate: Int32 = -1
            func fork(_ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
                CNetShims_spawn_start(
                    path, cArguments, envp, sourceFDs, targetFDs, Int32(sourceFDs.count), netns, dies ? 1 : 0,
                    &report, &gate)
            }
            let pid = if let cEnvironment { fork(cEnvironment) } else { fork(environ) }
            return (pid, report, gate, pid < 0 ? errno : 0)
        }
        guard started.pid > 0 else {
            throw failed(
                SystemError(
                    operation: "spawn", object: path, errno: Errno(rawValue: started.errno),
                    process: .init(program: path)))
        }
        let record = ProcessRecord(pid: started.pid, startTime: ProcFS.startTime(of: started.pid), argv: argv)
        recorder?.started(record)
        if CNetShims_spawn_finish(started.pid, started.report, started.gate) != 0 {
            let code = errno
            recorder?.ended(record)
            throw failed(
                SystemError(
                    operation: "spawn", object: path, errno: Errno(rawValue: code), process: .init(program: path)))
        }
        let child = SupervisedProcess(
            pid: started.pid, spec: spec, record: record, pipes: parentEnds, outputPaths: outputPaths,
            recorder: recorder)
        child.startWaiter()
        return child
    }

    private func startWaiter() {
        let thread = Thread { [self] in
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0, errno == EINTR {}
            let status = state.withLock { state -> Int32 in
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                state = (true, status)
                return status
            }
            recorder?.ended(record)
            exit.fulfill(ExitStatus(rawValue: status))
        }
        thread.name = "failover-wait-\(pid)"
        thread.start()
    }

    /// Sends `signal` unless the child has been reaped already (never to a recycled PID).
    public func signal(_ signal: Int32) {
        state.withLock { state in
            if !state.reaped { _ = kill(pid, signal) }
        }
    }

    /// How the child ended, nil while it runs.
    public var exitStatus: ExitStatus? { exit.peek() }

    /// Waits for the child to end.
    public func waitForExit() async -> ExitStatus { await exit.value }

    /// Blocks the calling thread until the child ends.
    public func waitForExitBlocking() -> ExitStatus { exit.blockingValue() }

    /// Sends `signal`, waits up to `grace` for the exit, then sends SIGKILL; returns once reaped.
    /// A child that already ended is not signalled. Idempotent. The deadline is kept by a dedicated
    /// thread, so a busy concurrency pool cannot stretch it.
    public func stop(signal stopSignal: Int32 = SIGTERM, grace: Duration) async -> ExitStatus {
        if let status = exitStatus { return status }
        signal(stopSignal)
        let deadline = MonotonicTime.now() &+ Self.nanoseconds(grace)
        let killer = Thread { [self] in
            while exitStatus == nil {
                let now = MonotonicTime.now()
                if now >= deadline {
                    signal(SIGKILL)
                    return
                }
                MonotonicTime.sleep(until: min(deadline, now &+ Self.pollInterval))
            }
        }
        killer.name = "failover-stop-\(pid)"
        killer.start()
        return await exit.value
    }

    /// Waits until `readiness` holds, checking every 5 ms (on a dedicated thread, so a busy
    /// concurrency pool cannot delay the checks) and once more at the deadline.
    /// - Throws: `SystemError` naming the condition: ETIMEDOUT when it did not hold within `timeout`
    ///   (a condition first seen after the deadline counts as late), ESRCH when the process ended
    ///   first (with its exit status and stderr tail); `CancellationError` when the task is cancelled.
    public func waitUntilReady(_ readiness: Readiness, timeout: Duration) async throws {
        let deadline = MonotonicTime.now() &+ Self.nanoseconds(timeout)
        let cancelled = CancelFlag()
        let outcome = OneShot<ReadinessOutcome>()
        let poller = Thread { [self] in
            outcome.fulfill(poll(readiness, timeout: timeout, deadline: deadline, cancelled: cancelled))
        }
        poller.name = "failover-ready-\(pid)"
        poller.start()
        let result = await withTaskCancellationHandler {
            await outcome.value
        } onCancel: {
            cancelled.set()
        }
        switch result {
        case .ready: return
        case .failed(let error): throw error
        case .cancelled: throw CancellationError()
        }
    }

    private enum ReadinessOutcome: Sendable {
        case ready
        case failed(SystemError)
        case cancelled
    }

    private final class CancelFlag: Sendable {
        private let flag = Mutex(false)
        func set() { flag.withLock { $0 = true } }
        var isSet: Bool { flag.withLock { $0 } }
    }

    private func poll(_ readiness: Readiness, timeout: Duration, deadline: UInt64, cancelled: CancelFlag)
        -> ReadinessOutcome
    {
        while true {
            if cancelled.isSet { return .cancelled }
            let checkedAt = MonotonicTime.now()
            if checkedAt > deadline {
                return .failed(
                    failure("wait until ready: \(readiness)", errno: .timedOut, reason: "not ready within \(timeout)"))
            }
            if isReady(readiness) { return .ready }
            if exitStatus != nil {
                return .failed(
                    failure("wait until ready: \(readiness)", errno: .noSuchProcess, reason: "the process ended first"))
            }
            MonotonicTime.sleep(until: min(checkedAt &+ Self.pollInterval, deadline &+ 1))
        }
    }

    static let pollInterval: UInt64 = 5_000_000

    /// The last `SystemError.stderrTailLimit` characters of the file captured for stderr, trimmed.
    public func stderrTail() -> String {
        guard let path = outputPaths[2], let bytes = try? readSmallFile(path) else { return "" }
        let text = String(decoding: bytes.suffix(SystemError.stderrTailLimit), as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A `SystemError` about this process with its status and stderr tail.
    public func failure(_ operation: String, errno: Errno, reason: String? = nil) -> SystemError {
        SystemError(
            operation: operation, object: "\(spec.name) pid \(pid)", errno: errno, kernelMessage: reason,
            process: .init(program: spec.argv.first ?? "", status: exitStatus, stderrTail: stderrTail()))
    }

    private func isReady(_ readiness: Readiness) -> Bool {
        switch readiness {
        case .outputLine(let text, let descriptor):
            guard let path = outputPaths[descriptor], let bytes = try? readSmallFile(path) else { return false }
            return String(decoding: bytes, as: UTF8.self).split(separator: "\n").contains { $0.contains(text) }
        case .pathExists(let path):
            var info = stat()
            return lstat(path, &info) == 0
        case .pidFile(let path):
            guard let bytes = try? readSmallFile(path),
                let pid = Int32(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
                pid > 0
            else { return false }
            return kill(pid, 0) == 0
        case .condition(_, let check):
            return check()
        }
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }

    /// The result of a one-shot run.
    public struct RunResult: Sendable {
        public var status: ExitStatus
        /// stderr, trimmed (at most `SystemError.stderrTailLimit` characters, the last ones).
        public var stderr: String
    }

    /// Runs `argv` (in `networkNamespace`, or the current one) to completion, blocking the calling
    /// thread: stdin and stdout are /dev/null, stderr is collected. For `ip`/`nft` one-shots.
    /// - Throws: `SystemError` when it cannot be started.
    public static func run(
        _ argv: [String], networkNamespace: String? = nil, recorder: ProcessRecorder? = nil
    ) throws(SystemError) -> RunResult {
        let child = try start(
            ProcessSpec(
                argv: argv, descriptors: [0: .null, 1: .null, 2: .pipeToParent], networkNamespace: networkNamespace),
            recorder: recorder)
        var collected: [UInt8] = []
        if let fd = child.pipes[2] {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                collected += buffer[0..<count]
                if collected.count > 4 * SystemError.stderrTailLimit {
                    collected.removeFirst(collected.count - SystemError.stderrTailLimit)
                }
            }
            close(fd)
        }
        let status = child.waitForExitBlocking()
        let text = String(decoding: collected.suffix(SystemError.stderrTailLimit), as: UTF8.self)
        return RunResult(status: status, stderr: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// The one thread that forks child processes, for the life of the process: PR_SET_PDEATHSIG kills a
/// child when the thread that forked it exits, and Swift's concurrency pool threads may come and go.
final class SpawnerThread: Sendable {
    static let shared = SpawnerThread()
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let wake = DispatchSemaphore(value: 0)

    private init() {
        let thread = Thread { [self] in
            while true {
                wake.wait()
                let job = jobs.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                job?()
            }
        }
        thread.name = "failover-spawner"
        thread.start()
    }

    /// Runs `body` on the spawner thread and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let result = OneShot<T>()
        jobs.withLock { $0.append { result.fulfill(body()) } }
        wake.signal()
        return result.blockingValue()
    }
}

/// A value produced once, awaited by any number of tasks or threads.
public final class OneShot<Value: Sendable>: Sendable {
    private let state = Mutex<(value: Value?, waiters: [CheckedContinuation<Value, Never>])>((nil, []))
    private let condition = NSCondition()

    public init() {}

    /// Stores the value and wakes every waiter; later calls are ignored.
    public func fulfill(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, Never>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// The value if it exists already.
    public func peek() -> Value? { state.withLock { $0.value } }

    /// The value, once fulfilled.
    public var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Value? in
                    if let value = state.value { return value }
                    state.waiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    /// Blocks the calling thread until the value exists.
    public func blockingValue() -> Value {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value = state.withLock({ $0.value }) { return value }
            condition.wait()
        }
    }
}

/// Reads a descriptor to EOF on a dedicated thread, delivering lines (LF split, trailing CR removed).
public enum LineReader {
    /// Starts the reader; the returned one-shot fires after EOF and the last line. Closes `fd` at EOF.
    public static func start(fd: Int32, name: String, onLine: @escaping @Sendable (String) -> Void) -> OneShot<Void> {
        let done = OneShot<Void>()
        let thread = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16384)
            func emit(_ bytes: ArraySlice<UInt8>) {
                var line = bytes
                while line.last == 0x0D { line = line.dropLast() }
                onLine(String(decoding: line, as: UTF8.self))
            }
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                pending += buffer[0..<count]
                var start = pending.startIndex
                while let newline = pending[start...].firstIndex(of: 0x0A) {
                    emit(pending[start..<newline])
                    start = newline + 1
                }
                pending.removeSubrange(pending.startIndex..<start)
            }
            if !pending.isEmpty { emit(pending[...]) }
            close(fd)
            done.fulfill(())
        }
        thread.name = name
        thread.start()
        return done
    }
}
