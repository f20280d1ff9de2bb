import FailoverCore
import FailoverModel
import FailoverSystem
import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The run's ucarp peers: each a `SupervisedProcess` in its host's namespace (setns in the child,
/// argv only, recorded in the owner record before it runs), its stdout/stderr in files of the run's
/// results (`peers/`), its state changes followed into the `ObservationLog`, stopped with SIGTERM
/// (`--shutdown`: the down script runs) then SIGKILL at teardown, always reaped.
final class PeerSupervisor: Sendable {
    struct Running: Sendable {
        var peer: CarpPeer
        var process: SupervisedProcess
        var follower: LogFollower
    }

    private struct State: Sendable {
        var running: [String: Running] = [:]
        var directory: SafeDirectory?
        var scriptsWritten = false
        var log: ObservationLog?
    }

    /// Where ucarp is looked for (Debian package `ucarp`).
    static let ucarpCandidates = ["/usr/sbin/ucarp", "/usr/bin/ucarp", "/sbin/ucarp"]
    /// How long a peer may take to report its first state (INIT → BACKUP, at once on start-up).
    static let readinessTimeout: Duration = .seconds(5)
    /// How long SIGTERM (down script, exit) may take before SIGKILL.
    static let stopGrace: Duration = .seconds(3)

    private let state: Mutex<State>
    private let logger: Logger

    init(directory: SafeDirectory?, logger: Logger) {
        state = Mutex(State(directory: directory))
        self.logger = logger
    }

    func attach(_ log: ObservationLog) { state.withLock { $0.log = log } }

    /// The results directory for peer files; a private temporary one when the caller gave none.
    private func peerDirectory() throws -> SafeDirectory {
        if let directory = state.withLock({ $0.directory }) { return directory }
        let path =
            FileManager.default.temporaryDirectory.path
            + "/failover-peers-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let directory = try SafeDirectory.create(path)
        state.withLock { $0.directory = directory }
        return directory
    }

    /// Starts `peer` and waits until it reported its first state. Returns the CLOCK_MONOTONIC instant.
    /// A peer started again (`start_peer`) must have exited (killed or stopped); its new output goes
    /// to new files (`carp-G-N-2.stderr`).
    func start(_ peer: CarpPeer) async throws -> UInt64 {
        let ucarp = try Self.locateUcarp(for: peer)
        if let previous = state.withLock({ $0.running[peer.name] }) {
            guard previous.process.exitStatus != nil else {
                throw BackendError(
                    operation: "start ucarp", object: peer.description,
                    detail: "it is still running (pid \(previous.process.pid)): stop or kill it first")
            }
            previous.follower.stop()
            state.withLock { _ = $0.running.removeValue(forKey: peer.name) }
        }
        let directory: SafeDirectory
        do {
            directory = try peerDirectory()
            try writeScripts(directory)
        } catch {
            throw BackendError(operation: "write ucarp scripts", object: peer.description, detail: "\(error)")
        }
        let passfile = try PasswordFile(peer.password, name: peer.name)
        defer { passfile.remove() }
        let argv =
            [ucarp]
            + peer.ucarpArguments(
                upscript: directory.path(of: CarpPeer.upscriptName),
                downscript: directory.path(of: CarpPeer.downscriptName), passfile: passfile.path)
        let stdoutName = Self.freeName(in: directory, peer.name + ".stdout")
        let stderrName = Self.freeName(in: directory, peer.name + ".stderr")
        let process: SupervisedProcess
        do {
            process = try SupervisedProcess.start(
                ProcessSpec(
                    argv: argv,
                    descriptors: [0: .null, 1: .newFile(directory, stdoutName), 2: .newFile(directory, stderrName)],
                    networkNamespace: peer.namespace, diesWithParent: true),
                recorder: .runResources)
        } catch {
            throw BackendError(operation: "start ucarp", object: peer.description, detail: "\(error)")
        }
        let stderrPath = directory.path(of: stderrName)
        let log = state.withLock { $0.log }
        let follower = LogFollower(path: stderrPath) { line, time in
            guard let transition = Self.transition(in: line) else { return }
            log?.append(
                ObservationRecord(
                    time: MonotonicInstant(nanoseconds: time), host: peer.host, interface: peer.interface,
                    kind: "carp_state", detail: "\(peer.group) vhid \(peer.vhid): \(transition)"))
        }
        state.withLock { $0.running[peer.name] = Running(peer: peer, process: process, follower: follower) }
        Task {
            let status = await process.waitForExit()
            log?.append(
                ObservationRecord(
                    time: MonotonicInstant(nanoseconds: MonotonicTime.now()), host: peer.host,
                    interface: peer.interface, kind: "carp_state",
                    detail: "\(peer.group) vhid \(peer.vhid): EXITED (\(status))"))
        }
        logger.debug(
            "ucarp started", metadata: ["peer": "\(peer)", "pid": "\(process.pid)", "stderr": "\(stderrPath)"])
        do {
            try await process.waitUntilReady(
                .condition("ucarp \(peer.name) logged its first state (\"Switching to state:\" in \(stderrPath))") {
                    Self.fileContains(stderrPath, "Switching to state:")
                }, timeout: Self.readinessTimeout)
        } catch let error as SystemError {
            await stop(peer.name)
            throw BackendError(
                operation: "start ucarp", object: peer.description,
                detail: "\(error); stderr: \(process.stderrTail())")
        } catch {
            await stop(peer.name)
            throw error
        }
        return MonotonicTime.now()
    }

    /// Sends the signal `signalName` (`KILL`, `TERM`, `STOP`, `CONT`, `USR2`) to the peer `name` (a
    /// fault) and logs it on the peer's timeline (`carp_signal`). Returns when it was sent.
    func signal(_ name: String, named signalName: String) throws -> UInt64 {
        let signals: [String: Int32] = [
            "KILL": SIGKILL, "TERM": SIGTERM, "STOP": SIGSTOP, "CONT": SIGCONT, "USR2": SIGUSR2,
        ]
        guard let number = signals[signalName] else {
            throw BackendError(operation: "signal peer", object: name, detail: "unknown signal \(signalName)")
        }
        let (running, log) = state.withLock { ($0.running[name], $0.log) }
        guard let running else {
            throw BackendError(operation: "signal peer", object: name, detail: "no such peer running")
        }
        guard running.process.exitStatus == nil else {
            throw BackendError(operation: "signal peer", object: name, detail: "ucarp has exited already")
        }
        running.process.signal(number)
        let time = MonotonicTime.now()
        log?.append(
            ObservationRecord(
                time: MonotonicInstant(nanoseconds: time), host: running.peer.host, interface: running.peer.interface,
                kind: "carp_signal", detail: "\(running.peer.group) vhid \(running.peer.vhid): SIG\(signalName)"))
        return time
    }

    /// The running peer's process (tests, faults).
    func process(_ name: String) -> SupervisedProcess? { state.withLock { $0.running[name]?.process } }

    /// Stops the peer `name`: SIGTERM (with `--shutdown` ucarp runs its down script and exits), SIGKILL
    /// after the grace period; reaped. A frozen peer is continued first so SIGTERM can act.
    func stop(_ name: String) async {
        guard let running = state.withLock({ $0.running.removeValue(forKey: name) }) else { return }
        running.process.signal(SIGCONT)
        let status = await running.process.stop(signal: SIGTERM, grace: Self.stopGrace)
        running.follower.stop()
        logger.debug("ucarp stopped", metadata: ["peer": "\(running.peer)", "status": "\(status)"])
    }

    /// The first executable of `candidates`; else an error naming the Debian package.
    static func locateUcarp(for peer: CarpPeer, candidates: [String] = ucarpCandidates) throws -> String {
        guard let ucarp = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw BackendError(
                operation: "start ucarp", object: peer.description,
                detail:
                    "ucarp is not installed (looked for \(candidates.joined(separator: ", "))): install the Debian package ucarp (apt-get install ucarp)"
            )
        }
        return ucarp
    }

    /// `MASTER`, `BACKUP`, `INIT` from ucarp's `Switching to state: X` line (`src/carp.c`).
    static func transition(in line: String) -> String? {
        guard let range = line.range(of: "Switching to state: ") else { return nil }
        let state = line[range.upperBound...].prefix { $0.isLetter }
        return state.isEmpty ? nil : String(state)
    }

    private func writeScripts(_ directory: SafeDirectory) throws {
        let done = state.withLock { $0.scriptsWritten }
        guard !done else { return }
        try directory.replaceFile(CarpPeer.upscriptName, contents: Array(CarpPeer.upscriptText.utf8), mode: 0o755)
        try directory.replaceFile(CarpPeer.downscriptName, contents: Array(CarpPeer.downscriptText.utf8), mode: 0o755)
        state.withLock { $0.scriptsWritten = true }
    }

    /// `name`, or `name` with `-2`, `-3`, … before the extension when taken (several playbooks of a run).
    static func freeName(in directory: SafeDirectory, _ name: String) -> String {
        guard directory.entryKind(name) != nil else { return name }
        let (stem, ext) = name.lastIndex(of: ".").map { (name[..<$0], name[$0...]) } ?? (Substring(name), "")
        var number = 2
        while directory.entryKind("\(stem)-\(number)\(ext)") != nil { number += 1 }
        return "\(stem)-\(number)\(ext)"
    }

    static func fileContains(_ path: String, _ text: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        return String(decoding: data, as: UTF8.self).contains(text)
    }
}

/// ucarp's password file: a private temporary file (mode 0600, outside the results), recorded in
/// the run's owner record before it is written, removed once ucarp has read it (it reads it while
/// parsing its options) and in any case when the start returns.
struct PasswordFile {
    let path: String

    init(_ password: CarpPassword, name: String) throws {
        path =
            FileManager.default.temporaryDirectory.path
            + "/failover-carp-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pass"
        RunResources.created(.file(path))
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            RunResources.removed(.file(path))
            throw BackendError(
                operation: "create ucarp password file", object: path, detail: String(cString: strerror(code)))
        }
        defer { _ = close(fd) }
        let bytes = Array((password.revealedForPassfile + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            let code = errno
            remove()
            throw BackendError(
                operation: "write ucarp password file", object: path, detail: String(cString: strerror(code)))
        }
    }

    func remove() {
        _ = unlink(path)
        RunResources.removed(.file(path))
    }
}

/// Follows a growing log file on its own thread (every 5 ms), handing each complete line to
/// `handler` with the CLOCK_MONOTONIC time it was read.
final class LogFollower: Sendable {
    private let stopped = Mutex(false)

    init(path: String, handler: @escaping @Sendable (String, UInt64) -> Void) {
        let thread = Thread { [self] in
            var offset: UInt64 = 0
            var pending = ""
            while true {
                let finishing = self.stopped.withLock { $0 }
                if let handle = FileHandle(forReadingAtPath: path) {
                    try? handle.seek(toOffset: offset)
                    if let data = try? handle.readToEnd(), !data.isEmpty {
                        let time = MonotonicTime.now()
                        offset += UInt64(data.count)
                        pending += String(decoding: data, as: UTF8.self)
                        while let newline = pending.firstIndex(of: "\n") {
                            handler(String(pending[..<newline]), time)
                            pending = String(pending[pending.index(after: newline)...])
                        }
                    }
                    try? handle.close()
                }
                if finishing { return }
                MonotonicTime.sleep(until: MonotonicTime.now() &+ 5_000_000)
            }
        }
        thread.name = "failover-follow"
        thread.start()
    }

    func stop() { stopped.withLock { $0 = true } }
}

extension ProcessRecorder {
    /// Reports peers to `RunResources`, the run's owner record (`failover cleanup` reads it).
    static let runResources = ProcessRecorder(
        started: { RunResources.created(.process(pid: $0.pid, name: $0.name)) },
        ended: { RunResources.removed(.process(pid: $0.pid, name: $0.name)) })
}
