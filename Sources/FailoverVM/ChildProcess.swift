internal import CNetShims
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

/// A child process started with `posix_spawn`, reaped exactly once by a dedicated thread.
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
    /// default signal dispositions and an empty signal mask. Other descriptors are not inherited (`O_CLOEXEC`).
    /// - Throws: `VMError` `.systemCall` (pipe2, open) or `.helperFailed` (posix_spawn) with errno.
    static func spawn(argv: [String], descriptors: [Int32: ChildDescriptor]) throws -> ChildProcess {
        guard let path = argv.first else {
            throw VMError(.invalidRequest, operation: "posix_spawn", object: "<empty argv>")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var parentEnds: [Int32: Int32] = [:]
        var childEnds: [Int32] = []
        defer { for fd in childEnds { close(fd) } }
        var nullFD: Int32 = -1
        defer { if nullFD >= 0 { close(nullFD) } }
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
                    posix_spawn_file_actions_adddup2(&actions, nullFD, target)
                case .pipeToParent:
                    var ends: [Int32] = [-1, -1]
                    // pipe2(O_CLOEXEC) needs _GNU_SOURCE; set FD_CLOEXEC right after instead (a
                    // concurrent fork in between could inherit the ends; spawners here close extra fds).
                    guard pipe(&ends) == 0 else {
                        throw VMError(.systemCall, operation: "pipe", object: argv[0], errno: errno)
                    }
                    _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
                    _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
                    parentEnds[target] = ends[0]
                    childEnds.append(ends[1])
                    posix_spawn_file_actions_adddup2(&actions, ends[1], target)
                case .descriptor(let fd):
                    posix_spawn_file_actions_adddup2(&actions, fd, target)
                }
            }
        } catch {
            for fd in parentEnds.values { close(fd) }
            throw error
        }

        // Descriptors this process inherited without FD_CLOEXEC (e.g. a supervisor's exit-watch
        // socket) must not reach the child: a qemu holding one keeps our own parent from seeing us exit.
        CNetShims_spawn_addclosefrom(&actions, (descriptors.keys.max() ?? 2) + 1)
        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, cArguments, environ)
        guard result == 0 else {
            for fd in parentEnds.values { close(fd) }
            throw VMError(.helperFailed, operation: "posix_spawn", object: path, errno: result)
        }
        let child = ChildProcess(pid: pid, pipes: parentEnds)
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
