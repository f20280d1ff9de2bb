internal import CNetShims
import FailoverCore
import FailoverSystem
import Foundation
import Glibc
import Logging
import Synchronization

extension KernelLab {
    /// Like `run(_:lines:)`, with stdout and stderr lines merged into one stream of strings.
    public func run(_ request: VMRunRequest, output: @escaping @Sendable (String) -> Void) async throws -> VMRunResult {
        try await run(request, lines: { output($0.text) })
    }

    /// Boots `request.kernel` and runs `request.argv` in the guest, streaming its output line by line.
    ///
    /// The command's stdout and stderr arrive separately (two serial ports). A non-zero exit of the command
    /// is a result. qemu is always gone when this returns or throws, and the per-run job directory is removed.
    /// - Parameters:
    ///   - request: What to run and how.
    ///   - lines: Called from reader threads for each line, in order within each stream.
    /// - Returns: The command's exit code, the accelerator used, and timings.
    /// - Throws: `VMError` `.invalidRequest`, `.timedOut` (qemu killed by PID), `.cancelled`,
    ///   `.noExitStatus` (guest died without reporting), `.helperFailed` (qemu failed, guest setup failed),
    ///   plus whatever `prepare` throws.
    public func run(
        _ originalRequest: VMRunRequest, lines output: @escaping @Sendable (VMOutputLine) -> Void
    ) async throws -> VMRunResult {
        try validate(originalRequest)
        let prepared = try prepare(originalRequest.kernel)
        let accelerator = await resolveAccelerator(originalRequest.accelerator, prepared: prepared)
        let request = originalRequest.resolvingPlaceholders(accelerator: accelerator)
        let tscKHz = accelerator == .tcg ? try TSCFrequency.hostKHz() : nil

        let jobDirectory = try makeJobDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: jobDirectory)
            RunResources.removed(.directory(jobDirectory))
        }
        let shares = request.writableDirectories.enumerated().map {
            QEMUCommand.WritableShare(tag: "fo_rw\($0.offset)", path: $0.element)
        }
        try writeJobFile(
            jobDirectory + "/command",
            try GuestScripts.commandScript(
                argv: request.argv, environment: request.environment, workingDirectory: request.workingDirectory))
        try writeJobFile(jobDirectory + "/mounts", GuestScripts.mountsFile(shares.map { ($0.tag, $0.path) }))
        let binds = GuestScripts.hostPathsToBind(
            argv: request.argv, workingDirectory: request.workingDirectory,
            resolve: { path in
                guard let resolved = realpath(path, nil) else { return nil }
                defer { free(resolved) }
                return String(cString: resolved)
            })
        try writeJobFile(jobDirectory + "/binds", GuestScripts.bindsFile(binds))

        let command = QEMUCommand(
            vmlinuxPath: prepared.vmlinuxPath, initramfsPath: prepared.initramfsPath,
            kernelParameters: KernelCommandLine.parameters(tscKHz: tscKHz, cpus: request.cpus),
            accelerator: accelerator, memoryMiB: request.memoryMiB, cpus: request.cpus, jobDirectory: jobDirectory,
            writableShares: shares)
        logger.debug("starting qemu", metadata: ["argv": "\(command.argv)"])
        progress("kernel lab: booting \(request.kernel.release) under \(accelerator.rawValue)")
        let outcome = try await runQEMU(command, timeout: request.timeout, output: output)
        let qemuExit = ExitStatus(rawValue: outcome.status).exitCode
        let context = (outcome.qemuStderr + outcome.lastLines).joined(separator: "\n")
        if outcome.cancelled {
            throw VMError(.cancelled, operation: "run in VM", object: "qemu pid \(outcome.pid)", stderr: context)
        }
        if outcome.timedOut {
            throw VMError(
                .timedOut, operation: "run in VM (limit \(request.timeout))", object: "qemu pid \(outcome.pid)",
                exitStatus: qemuExit, stderr: context)
        }
        let bootToCommand = MonotonicTime.duration(from: outcome.started, to: outcome.commandStarted ?? outcome.ended)
        let total = MonotonicTime.duration(from: outcome.started, to: outcome.ended)
        let reported = (try? String(contentsOfFile: jobDirectory + "/exit-code", encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let exitCode: Int32
        if let reported {
            exitCode = reported
        } else if let qemuExit, qemuExit == Int32(GuestScripts.setupFailureCode * 2 + 1) {
            throw VMError(.helperFailed, operation: "guest setup", object: request.kernel.release, stderr: context)
        } else if let qemuExit, qemuExit % 2 == 1, outcome.commandStarted != nil {
            exitCode = (qemuExit - 1) / 2
        } else {
            throw VMError(
                .noExitStatus, operation: "run in VM", object: "qemu pid \(outcome.pid)", exitStatus: qemuExit,
                stderr: context)
        }
        logger.debug(
            "VM run finished",
            metadata: [
                "exit": "\(exitCode)", "boot": "\(bootToCommand)", "total": "\(total)", "accel": "\(accelerator)",
            ])
        return VMRunResult(
            exitCode: exitCode, accelerator: accelerator, bootToCommand: bootToCommand, total: total,
            kernelRelease: request.kernel.release)
    }

    /// Whether KVM boots this kernel: a probe boot (`fo.probe=1`) must print its marker and exit within `timeout`.
    /// On this project's Firecracker hosts nested KVM hangs at kernel entry, so this returns `false` after `timeout`.
    public func probeKVM(_ prepared: PreparedKernel, timeout: Duration = KernelLab.kvmProbeTimeout) async -> Bool {
        let fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        close(fd)
        var command = QEMUCommand(
            vmlinuxPath: prepared.vmlinuxPath, initramfsPath: prepared.initramfsPath,
            kernelParameters: KernelCommandLine.parameters(tscKHz: nil, cpus: 1, probe: true), accelerator: .kvm,
            memoryMiB: 256)
        command.guestStderrDescriptor = nil
        let seen = Mutex(false)
        guard
            let outcome = try? await runQEMU(
                command, timeout: timeout,
                output: { line in if line.text == GuestScripts.probeMarker { seen.withLock { $0 = true } } })
        else { return false }
        let ok = !outcome.timedOut && seen.withLock { $0 } && ExitStatus(rawValue: outcome.status).exitCode == 1
        logger.info(
            "KVM probe",
            metadata: [
                "usable": "\(ok)", "timedOut": "\(outcome.timedOut)",
                "took": "\(MonotonicTime.duration(from: outcome.started, to: outcome.ended))",
                "qemu": "\(outcome.qemuStderr.first ?? "")",
            ])
        return ok
    }

    /// `.kvm`/`.tcg` as given; `.auto` probes KVM once and remembers the verdict: in the process, and
    /// in the kernel's cache directory (`<cache>/<release>/kvm-verdict`, keyed by host name and host
    /// kernel release), so later runs on this host skip the probe (≈4 s where nested KVM hangs).
    /// Delete that file to probe again.
    func resolveAccelerator(_ requested: Accelerator, prepared: PreparedKernel) async -> Accelerator {
        guard requested == .auto else { return requested }
        if let verdict = Self.cachedKVMVerdict() { return verdict }
        let path = cacheDirectory + "/" + prepared.kernel.release + "/kvm-verdict"
        let host = Self.hostIdentity()
        if let verdict = Self.storedKVMVerdict(path: path, host: host) {
            logger.debug("KVM verdict from cache", metadata: ["verdict": "\(verdict.rawValue)", "file": "\(path)"])
            Self.rememberKVMVerdict(verdict)
            return verdict
        }
        progress("kernel lab: probing KVM (at most \(Self.kvmProbeTimeout); remembered in \(path))")
        let verdict: Accelerator = await probeKVM(prepared) ? .kvm : .tcg
        // An interrupted probe proves nothing.
        if !Task.isCancelled {
            Self.rememberKVMVerdict(verdict)
            let temporary = "\(path).tmp-\(getpid())"
            if FileManager.default.createFile(
                atPath: temporary, contents: Data(Self.kvmVerdictText(host: host, verdict: verdict).utf8)),
                Glibc.rename(temporary, path) != 0
            {
                unlink(temporary)
            }
        }
        return verdict
    }

    /// `<host name> <host kernel release>`: a stored verdict holds only where it was found.
    static func hostIdentity() -> String {
        var info = utsname()
        uname(&info)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "\(text(info.nodename)) \(text(info.release))"
    }

    static func kvmVerdictText(host: String, verdict: Accelerator) -> String {
        "host=\(host)\nverdict=\(verdict.rawValue)\n"
    }

    /// The verdict stored at `path` for `host`, or nil (missing, other host, malformed).
    static func storedKVMVerdict(path: String, host: String) -> Accelerator? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n")
        guard lines.count == 2, lines[0] == "host=\(host)", lines[1].hasPrefix("verdict="),
            let verdict = Accelerator(rawValue: String(lines[1].dropFirst("verdict=".count))), verdict != .auto
        else { return nil }
        return verdict
    }

    private func validate(_ request: VMRunRequest) throws {
        guard request.cpus >= 1, request.memoryMiB >= 128 else {
            throw VMError(
                .invalidRequest, operation: "validate VM request",
                object: "cpus \(request.cpus) memory \(request.memoryMiB) MiB")
        }
        for directory in request.writableDirectories {
            var isDirectory: ObjCBool = false
            guard directory.hasPrefix("/"), !directory.contains("\n"), directory != "/",
                FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw VMError(.invalidRequest, operation: "share writable directory", object: directory)
            }
        }
        _ = try GuestScripts.commandScript(
            argv: request.argv, environment: request.environment, workingDirectory: request.workingDirectory)
    }

    private func makeJobDirectory() throws -> String {
        let base = temporaryDirectory
        var template = Array((base + "/failover-vm-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let baseAddress = buffer.baseAddress else { return false }
            return mkdtemp(baseAddress) != nil
        }
        guard created else {
            throw VMError(.systemCall, operation: "mkdtemp", object: base, errno: errno)
        }
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        RunResources.created(.directory(path))
        return path
    }

    private func writeJobFile(_ path: String, _ text: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
            throw VMError(.systemCall, operation: "write job file", object: path, errno: errno)
        }
    }
}

/// What happened to one qemu process.
struct QEMUOutcome: Sendable {
    var pid: pid_t
    var status: Int32
    var timedOut: Bool
    var cancelled: Bool
    /// CLOCK_MONOTONIC readings (`MonotonicTime.now()`), ns.
    var started: UInt64
    var commandStarted: UInt64?
    var ended: UInt64
    /// qemu's own stderr (first lines).
    var qemuStderr: [String]
    /// The last guest console lines (for error context).
    var lastLines: [String]
}

extension SupervisedProcess {
    /// Starts a kernel-lab helper (qemu, xz) that dies with this process and is reported to
    /// `RunResources` (the run's owner record) before it runs and once it is reaped.
    /// - Throws: `VMError` `.systemCall` (pipe, open) or `.helperFailed` (fork/exec) with errno.
    static func start(_ argv: [String], descriptors: [Int32: ChildDescriptor]) throws(VMError) -> SupervisedProcess {
        do {
            return try start(ProcessSpec(argv: argv, descriptors: descriptors), recorder: .runResources)
        } catch {
            throw VMError(error.operation == "spawn" ? .helperFailed : .systemCall, error)
        }
    }
}

extension ProcessRecorder {
    /// Reports helpers to `RunResources`, the run's owner record (`failover cleanup` reads it).
    static let runResources = ProcessRecorder(
        started: { RunResources.created(.process(pid: $0.pid, name: $0.name)) },
        ended: { RunResources.removed(.process(pid: $0.pid, name: $0.name)) })
}

extension KernelLab {
    private static let verdictStore = Mutex<Accelerator?>(nil)

    static func cachedKVMVerdict() -> Accelerator? { verdictStore.withLock { $0 } }
    static func rememberKVMVerdict(_ verdict: Accelerator) { verdictStore.withLock { $0 = verdict } }

    /// Spawns qemu, streams its serial ports, and ends it by PID (SIGTERM, then SIGKILL after 2 s) on timeout
    /// or task cancellation. Returns after qemu is reaped and every pipe has reached EOF.
    func runQEMU(
        _ command: QEMUCommand, timeout: Duration, output: @escaping @Sendable (VMOutputLine) -> Void
    ) async throws -> QEMUOutcome {
        if Task.isCancelled {
            throw VMError(.cancelled, operation: "start qemu", object: command.vmlinuxPath)
        }
        var descriptors: [Int32: ChildDescriptor] = [0: .null, 1: .pipeToParent, 2: .pipeToParent]
        if let fd = command.guestStderrDescriptor { descriptors[fd] = .pipeToParent }
        let started = MonotonicTime.now()
        let child = try SupervisedProcess.start(command.argv, descriptors: descriptors)
        let pid = child.pid

        struct Shared {
            var commandStarted: UInt64?
            var lastLines: [String] = []
            var qemuStderr: [String] = []
        }
        let shared = Mutex(Shared())
        var readers: [OneShot<Void>] = []
        if let fd = child.pipes[1] {
            readers.append(
                LineReader.start(fd: fd, name: "failover-vm-out-\(pid)") { line in
                    let isMarker = line == GuestScripts.startMarker
                    let first = shared.withLock { state -> Bool in
                        if isMarker {
                            guard state.commandStarted == nil else { return false }
                            state.commandStarted = MonotonicTime.now()
                            return true
                        } else {
                            state.lastLines.append(line)
                            if state.lastLines.count > 20 { state.lastLines.removeFirst() }
                            return false
                        }
                    }
                    if first {
                        let boot = MonotonicTime.duration(from: started, to: MonotonicTime.now())
                        let ms = boot.components.seconds * 1000 + boot.components.attoseconds / 1_000_000_000_000_000
                        self.progress("kernel lab: guest up after \(Double(ms / 10) / 100) s, command started")
                    }
                    if !isMarker { output(VMOutputLine(stream: .stdout, text: line)) }
                })
        }
        if let fd = command.guestStderrDescriptor.flatMap({ child.pipes[$0] }) {
            readers.append(
                LineReader.start(fd: fd, name: "failover-vm-err-\(pid)") { line in
                    output(VMOutputLine(stream: .stderr, text: line))
                })
        }
        if let fd = child.pipes[2] {
            readers.append(
                LineReader.start(fd: fd, name: "failover-vm-qemu-\(pid)") { line in
                    shared.withLock { if $0.qemuStderr.count < 20 { $0.qemuStderr.append(line) } }
                })
        }

        enum Event: Sendable {
            case exited(Int32)
            case deadline
        }
        let (status, killed) = await withTaskGroup(of: Event.self, returning: (Int32, Bool).self) { group in
            group.addTask { .exited(await child.waitForExit().rawValue) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .deadline
            }
            var killed = false
            while let event = await group.next() {
                switch event {
                case .exited(let status):
                    group.cancelAll()
                    return (status, killed)
                case .deadline where !killed:
                    killed = true
                    logger.info("ending qemu", metadata: ["pid": "\(pid)", "signal": "SIGTERM"])
                    child.signal(SIGTERM)
                    group.addTask {
                        try? await Task.sleep(for: .seconds(2))
                        return .deadline
                    }
                case .deadline:
                    logger.info("ending qemu", metadata: ["pid": "\(pid)", "signal": "SIGKILL"])
                    child.signal(SIGKILL)
                }
            }
            return (await child.waitForExit().rawValue, killed)
        }
        for reader in readers { await reader.value }
        let ended = MonotonicTime.now()
        let state = shared.withLock { $0 }
        return QEMUOutcome(
            pid: pid, status: status, timedOut: killed && !Task.isCancelled, cancelled: killed && Task.isCancelled,
            started: started, commandStarted: state.commandStarted, ended: ended, qemuStderr: state.qemuStderr,
            lastLines: state.lastLines)
    }
}
