internal import CNetShims
import FailoverCore
import Foundation
import Glibc
import Synchronization

/// How a child's file descriptor is connected.
enum ChildDescriptor {
    /// `/dev/null`.
    case null
    /// A pipe whose read end the parent keeps.
    case pipeToParent
    /// An existing parent descriptor (duplicated onto the target).
    case descriptor(Int32)
}

/// A child process that dies with this process, reaped exactly once by a dedicated thread.
///
/// `signal(_:)` and the reaping take the same lock, so a signal never reaches a recycled PID:
/// the waiter first waits with `WNOWAIT` (the zombie keeps the PID), then reaps under the lock.
final class ChildProcess: Sendable {
    /// The child's PID.
    let pid: pid_t
    /// Parent read ends of `.pipeToParent` descriptors, by target descriptor.
    let pipes: [Int32: Int32]
    private let state = Mutex<(reaped: Bool, status: Int32?)>((false, nil))
    private let exit = OneShot<Int32>()

    private init(pid: pid_t, pipes: [Int32: Int32]) {
        self.pid = pid
        self.pipes = pipes
    }

    /// Starts `argv[0]` (an absolute path) with `descriptors` (target fd → connection), the host environment,
    /// default signal dispositions and an empty signal mask. No other descriptor is inherited.
    ///
    /// The child dies with this process (PR_SET_PDEATHSIG SIGKILL, set between fork and exec by
    /// `CNetShims_spawn_dying_with_parent`, which posix_spawn cannot do), so a qemu never outlives a
    /// killed harness; it is forked by `SpawnerThread`, which lives as long as the process (the death
    /// signal follows the forking *thread*). It is reported to `RunResources` (the run's owner record)
    /// before it can be reaped, and removed from it once reaped.
    /// - Throws: `VMError` `.systemCall` (pipe, open) or `.helperFailed` (fork/exec) with errno.
    static func spawn(argv: [String], descriptors: [Int32: ChildDescriptor]) throws -> ChildProcess {
        guard let path = argv.first else {
            throw VMError(.invalidRequest, operation: "spawn", object: "<empty argv>")
        }
        var parentEnds: [Int32: Int32] = [:]
        var childEnds: [Int32] = []
        defer { for fd in childEnds { close(fd) } }
        var nullFD: Int32 = -1
        defer { if nullFD >= 0 { close(nullFD) } }
        var sources: [Int32] = []
        var targets: [Int32] = []
        do {
            for (target, connection) in descriptors.sorted(by: { $0.key < $1.key }) {
                switch connection {
                case .null:
                    if nullFD < 0 {
                        nullFD = open("/dev/null", O_RDWR | O_CLOEXEC)
                        guard nullFD >= 0 else {
                            throw VMError(.systemCall, operation: "open", object: "/dev/null", errno: errno)
                        }
                    }
                    sources.append(nullFD)
                case .pipeToParent:
                    var ends: [Int32] = [-1, -1]
                    guard pipe(&ends) == 0 else {
                        throw VMError(.systemCall, operation: "pipe", object: argv[0], errno: errno)
                    }
                    _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
                    _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
                    parentEnds[target] = ends[0]
                    childEnds.append(ends[1])
                    sources.append(ends[1])
                case .descriptor(let fd):
                    sources.append(fd)
                }
                targets.append(target)
            }
        } catch {
            for fd in parentEnds.values { close(fd) }
            throw error
        }
        let (sourceFDs, targetFDs) = (sources, targets)
        let (pid, spawnErrno) = SpawnerThread.shared.run { () -> (pid_t, Int32) in
            let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
            defer { for pointer in cArguments { free(pointer) } }
            let pid = CNetShims_spawn_dying_with_parent(
                path, cArguments, environ, sourceFDs, targetFDs, Int32(sourceFDs.count))
            return (pid, pid < 0 ? errno : 0)
        }
        guard pid > 0 else {
            for fd in parentEnds.values { close(fd) }
            throw VMError(.helperFailed, operation: "spawn", object: path, errno: spawnErrno)
        }
        let child = ChildProcess(pid: pid, pipes: parentEnds)
        RunResources.created(.process(pid: pid, name: (path as NSString).lastPathComponent))
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
            RunResources.removed(.process(pid: pid, name: ""))
            exit.fulfill(status)
        }
        thread.name = "failover-vm-wait-\(pid)"
        thread.start()
    }

    /// Sends `signal` unless the child has been reaped already.
    func signal(_ signal: Int32) {
        state.withLock { state in
            if !state.reaped { _ = kill(pid, signal) }
        }
    }

    /// Waits for the child to end; returns the raw wait status.
    func waitForExit() async -> Int32 { await exit.value }

    /// Blocks the calling thread until the child ends; returns the raw wait status.
    func waitForExitBlocking() -> Int32 { exit.blockingValue() }

    /// The exit code of a raw wait status, or `nil` if the child was killed by a signal.
    static func exitCode(ofStatus status: Int32) -> Int32? {
        status & 0x7f == 0 ? (status >> 8) & 0xff : nil
    }

    /// The terminating signal of a raw wait status, or `nil` if the child exited.
    static func terminatingSignal(ofStatus status: Int32) -> Int32? {
        status & 0x7f == 0 ? nil : status & 0x7f
    }
}

/// The one thread that forks helper processes, for the life of the process: PR_SET_PDEATHSIG kills a
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
final class OneShot<Value: Sendable>: Sendable {
    private let state = Mutex<(value: Value?, waiters: [CheckedContinuation<Value, Never>])>((nil, []))
    private let condition = NSCondition()

    /// Stores the value and wakes every waiter; later calls are ignored.
    func fulfill(_ value: Value) {
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

    /// The value, once fulfilled.
    var value: Value {
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
    func blockingValue() -> Value {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value = state.withLock({ $0.value }) { return value }
            condition.wait()
        }
    }
}

/// Reads a descriptor to EOF on a dedicated thread, delivering lines (LF split, trailing CR removed).
enum LineReader {
    /// Starts the reader; the returned one-shot fires after EOF and the last line. Closes `fd` at EOF.
    static func start(fd: Int32, name: String, onLine: @escaping @Sendable (String) -> Void) -> OneShot<Void> {
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
