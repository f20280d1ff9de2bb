internal import CNetShims
import FailoverCore
import FailoverFamilies
import FailoverLinux
import FailoverModel
import FailoverNetlink
import FailoverProbe
import FailoverReport
import FailoverVM
import Foundation
import Logging

/// `failover run`: loads the playbooks, checks privileges, claims the run's owner record, places
/// the playbooks on the host or in the kernel lab (one lab run per kernel of the matrix), runs them,
/// writes the results and prints the summary. SIGINT/SIGTERM cancel the run: what was built is torn
/// down and the report marks what did not finish.
public struct RunOrchestrator: Sendable {
    public let options: RunOptions
    public let logger: Logger

    public init(options: RunOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Runs. Throws `OrchestrationError` when the run stops before its outcome (invalid playbooks,
    /// privileges, results not writable, a kernel lab that cannot start, a signal); other errors are
    /// the environment's (encoding, /proc/self/exe).
    public func run() async throws -> RunOutcome {
        // First, before anything is created: SIGINT/SIGTERM from here on are never lost.
        try SignalCancellation.shared.install()
        let files = try PlaybookFiles.loadAll(options.playbooks, quietWarnings: options.guest != nil)
        // In the kernel lab, the instances of a matrix file that the host ran itself are left out.
        let loaded = options.guest.map { GuestProtocol.select(files, names: $0.instances) } ?? files
        if let problem = Privileges.problem() ?? RunPrivileges.problem() {
            throw OrchestrationError(.noPermission, problem)
        }
        if let signal = SignalCancellation.shared.received {
            throw OrchestrationError(
                .interrupted, "interrupted (\(SignalCancellation.name(of: signal))) before anything was created")
        }

        let names = options.runID.map(RunNames.init(runID:)) ?? RunNames.random()
        // The owner record of this run, held until the end: everything the run creates (namespaces,
        // tcpdump, qemu, the kernel lab's job directory, capture files) is listed in it first, so
        // `failover cleanup` can remove exactly that after a kill.
        do {
            try RunOwnership.claim(runID: names.runID)
        } catch {
            throw OrchestrationError(.environment, "\(error)")
        }
        RunOwnership.recordHelpers(into: names.runID)
        let work = Task { try await runClaimed(loaded, names: names) }
        let token = SignalCancellation.shared.cancelOnSignal(work)
        let result = await work.result
        SignalCancellation.shared.forget(token)
        RunResources.install(nil)
        RunOwnership.release(runID: names.runID)
        // A signal from here on takes its default action (exit 130/143): everything is torn down and
        // written; one that came before is reported here, never exit 0.
        SignalCancellation.shared.restoreDefaults()
        let outcome = try result.get()
        if let signal = SignalCancellation.shared.received {
            throw OrchestrationError(
                .interrupted,
                "interrupted by \(SignalCancellation.name(of: signal)): the report marks what did not finish")
        }
        return outcome
    }

    /// The run, once its owner record is claimed.
    private func runClaimed(_ loaded: [Playbook], names: RunNames) async throws -> RunOutcome {
        let capabilities = KernelProbe.capabilities(logger: logger)
        let placement = try Placement.decide(
            loaded, use: options.lab, kernelsNamed: !options.kernels.isEmpty, release: capabilities.release,
            hasBonding: capabilities.hasBonding)

        if let guest = options.guest {
            // Inside the kernel lab: run, write the raw record for the host (after every playbook, so an
            // interrupted lab still reports what finished), print progress only.
            let here = try resultsFailure {
                try SafeDirectory.open((guest.recordPath as NSString).deletingLastPathComponent)
            }
            let recordName = (guest.recordPath as NSString).lastPathComponent
            let captures = try resultsFailure { try capturesDirectory(in: here, for: loaded) }
            let peers = try resultsFailure { try peersDirectory(in: here, for: loaded) }
            let record = await runHere(
                loaded, names: names, capabilities: capabilities, captureDirectory: captures, peerDirectory: peers
            ) { partial in
                if let data = try? JSONEncoder().encode(partial) {
                    try? here.replaceFile(recordName, contents: Array(data))
                }
            }
            let data = try JSONEncoder().encode(record)
            try resultsFailure { try here.replaceFile(recordName, contents: Array(data)) }
            return .guestRecordWritten
        }

        let date = Date()
        // Opened once, before anything is built: every file of the run is written relative to it.
        let output = try resultsFailure {
            try ResultsDirectory.open(root: options.results, runID: names.runID, date: date)
        }
        var records: [RunRecord] = []
        if !placement.host.isEmpty {
            let captures = try resultsFailure { try capturesDirectory(in: output.run, for: placement.host) }
            let peers = try resultsFailure { try peersDirectory(in: output.run, for: placement.host) }
            records.append(
                await runHere(
                    placement.host, names: names, capabilities: capabilities, captureDirectory: captures,
                    peerDirectory: peers))
        }
        if !placement.lab.isEmpty {
            records += try await runInLab(
                placement.lab, select: GuestProtocol.selection(lab: placement.lab, all: loaded), names: names,
                output: output)
        }
        let invocation = FileManager.default.currentDirectoryPath
        let directory = try resultsFailure { try output.write(records, baseDirectory: invocation) }
        if let junit = options.junit {
            try resultsFailure("--junit") {
                let parent = (junit as NSString).deletingLastPathComponent
                // The user named the file: its directory may be a symlink, the file itself may not.
                try SafeDirectory.create(parent.isEmpty ? "." : parent, followingSymlink: true).replaceFile(
                    (junit as NSString).lastPathComponent,
                    contents: Array(JUnitReport.render(records, baseDirectory: invocation).utf8))
            }
        }
        if options.json {
            printOut(try JSONReport.render(records))
        } else {
            let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            printOut(ConsoleSummary.render(records, color: color))
            printOut("results: \(directory)\n")
        }
        return .finished(records.map(\.verdict).max() ?? .passed)
    }

    /// Runs the playbooks on the running kernel, one after the other. Cancellation of the calling task
    /// (SIGINT/SIGTERM) errors the playbook in progress (its runner tears down what was built) and
    /// skips the rest. `afterEach` gets the record so far after every playbook.
    /// Witness captures go to `captureDirectory` (`captures/` in the run's results directory).
    func runHere(
        _ playbooks: [Playbook], names: RunNames, capabilities: KernelCapabilities, captureDirectory: SafeDirectory?,
        peerDirectory: SafeDirectory? = nil, afterEach: (RunRecord) -> Void = { _ in }
    ) async -> RunRecord {
        let clock = LinuxMonotonicClock()
        let inGuest = options.guest != nil
        let guestAccelerator = options.guest?.accelerator
        let tcg = inGuest && guestAccelerator == "tcg"
        let timing =
            tcg
            ? TimingPolicy(allowance: VMTiming.tcgAllowance, allowanceReason: VMTiming.tcgAllowanceReason)
            : .exact
        let startedAt = ISO8601DateFormatter().string(from: Date())
        func makeRecord(_ results: [PlaybookRecord]) -> RunRecord {
            RunRecord(
                runID: names.runID, startedAt: startedAt,
                environment: EnvironmentRecord(
                    kernel: capabilities.release, execution: inGuest ? "vm" : "host",
                    accelerator: inGuest ? guestAccelerator : nil,
                    timingAllowanceNanoseconds: timing.allowance.totalNanoseconds,
                    timingAllowanceReason: timing.allowanceReason, hostname: ProcessInfo.processInfo.hostName,
                    failoverVersion: FailoverRelease.version),
                playbooks: results)
        }
        func progress(_ line: String) {
            if inGuest { printOut(line + "\n") } else { printError(line) }
        }
        var results: [PlaybookRecord] = []
        for (index, playbook) in playbooks.enumerated() {
            // One run id per invocation: playbooks run one after another, each after the
            // previous one's namespaces were removed, so their names may repeat.
            let playbookNames = names
            if Task.isCancelled {
                results.append(
                    LabRecords.skipped(playbook, at: clock.now(), reason: "interrupted before it started"))
                continue
            }
            let backend = NamespaceBackend(logger: logger, peerDirectory: peerDirectory)
            var probes: (any TrafficProbes)?
            if !playbook.probes.isEmpty {
                probes = ProbeEngine(
                    playbook: playbook, names: playbookNames, logger: logger, witness: options.witness,
                    witnessDirectory: captureDirectory,
                    witnessEdgeAllowance: tcg ? VMTiming.tcgWitnessAllowance : .zero,
                    senderLatenessAllowance: tcg ? VMTiming.tcgAllowance : .zero)
            }
            var captures: (any PacketCaptures)?
            if !playbook.captures.isEmpty {
                captures = CaptureEngine(
                    names: playbookNames, playbook: playbook, directory: captureDirectory, logger: logger)
            }
            let runner = PlaybookRunner(
                backend: backend, probes: probes, clock: clock, timing: timing, logger: logger,
                families: StandardFamilies.evaluators, captures: captures)
            // Progress: one line at the start and one with the verdict (stderr; in the guest stdout, which
            // the host shows as `vm|` lines; the full summary comes at the end).
            let position = "[\(index + 1)/\(playbooks.count)]"
            progress("\(position) running \(playbook.name) (\(playbook.file))")
            let began = ContinuousClock.now
            let record = await runner.run(playbook, names: playbookNames)
            results.append(record)
            afterEach(makeRecord(results))
            progress(
                "\(position) \(record.verdict.rawValue.uppercased()) \(playbook.name) (\(seconds(ContinuousClock.now - began)))"
            )
        }
        return makeRecord(results)
    }

    /// Runs all playbooks in one VM per kernel; the same binary runs inside with `--vm never`.
    func runInLab(
        _ playbooks: [Playbook], select: [String]?, names: RunNames, output: ResultsDirectory
    ) async throws -> [RunRecord] {
        let kernelImages: [KernelImage]
        do {
            kernelImages =
                try options.kernels.isEmpty
                ? [KernelLocator.defaultKernel()] : options.kernels.map(KernelLocator.kernel(at:))
        } catch {
            throw OrchestrationError(.environment, "kernel lab: \(KernelLocator.message(for: error))")
        }
        let directory = output.path
        let lab = KernelLab(logger: logger, progress: { line in printError(line) })
        let executable = try selfExecutable()
        let cwd = FileManager.default.currentDirectoryPath
        var records: [RunRecord] = []
        for kernel in kernelImages {
            if Task.isCancelled {
                let now = LinuxMonotonicClock().now()
                records.append(
                    LabRecords.lab(
                        kernel: kernel.release, runID: names.runID,
                        playbooks: playbooks.map {
                            LabRecords.skipped($0, at: now, reason: "interrupted before the kernel lab started")
                        }))
                continue
            }
            let recordName = GuestProtocol.recordName(kernelRelease: kernel.release)
            let recordPath = output.run.path(of: recordName)
            let argv = GuestProtocol.argv(
                executable: executable, recordPath: recordPath, runID: names.runID, logLevel: options.guestLogLevel,
                witness: options.witness, playbookFiles: playbooks.map(\.file), select: select, cwd: cwd)
            let request = VMRunRequest(
                kernel: kernel, argv: argv, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                workingDirectory: cwd, writableDirectories: [absolute(directory, cwd: cwd)],
                timeout: options.labTimeout, accelerator: options.accelerator)
            printError(
                "kernel lab: \(playbooks.count) playbook\(playbooks.count == 1 ? "" : "s") on \(kernel.release) (\(kernel.vmlinuzPath))"
            )
            // A kernel whose lab run breaks errors its playbooks (exit 70); the other kernels and the
            // host playbooks still run and are reported.
            let result: VMRunResult
            do {
                result = try await lab.run(request) { line in printError("  vm| " + line) }
            } catch {
                // Interrupted (SIGINT/SIGTERM): qemu is killed and its job directory removed by now; what
                // the guest finished is in its partial record, the playbook it was running errors.
                let interrupted = Task.isCancelled
                let message =
                    interrupted
                    ? "interrupted (signal) while it ran in the kernel lab (\(kernel.release)); the VM was stopped"
                    : "kernel lab (\(kernel.release)): \(error)"
                if !interrupted { printError("failover: " + message) }
                records.append(
                    LabRecords.partial(
                        playbooks, kernel: kernel.release, record: LabRecords.take(recordPath), runID: names.runID,
                        message: message, interrupted: interrupted, at: LinuxMonotonicClock().now()))
                continue
            }
            printError(
                "kernel lab: \(kernel.release) under \(result.accelerator.rawValue): boot \(seconds(result.bootToCommand)),"
                    + " total \(seconds(result.total)), exit \(result.exitCode)")
            guard let data = FileManager.default.contents(atPath: recordPath),
                let record = try? JSONDecoder().decode(RunRecord.self, from: data),
                record.playbooks.count == playbooks.count
            else {
                let message =
                    "kernel lab (\(kernel.release)): the guest wrote no results (exit \(result.exitCode)); see the vm| lines above"
                printError("failover: " + message)
                records.append(
                    LabRecords.partial(
                        playbooks, kernel: kernel.release, accelerator: result.accelerator.rawValue,
                        record: LabRecords.take(recordPath), runID: names.runID, message: message,
                        interrupted: Task.isCancelled, at: LinuxMonotonicClock().now()))
                continue
            }
            try? output.run.remove(recordName)
            records.append(record)
        }
        return records
    }

    /// `peers/` in `directory` when some playbook runs CARP peers (their scripts and log output).
    func peersDirectory(in directory: SafeDirectory, for playbooks: [Playbook]) throws -> SafeDirectory? {
        guard playbooks.contains(where: { !$0.topology.carp.isEmpty }) else { return nil }
        return try directory.subdirectory("peers")
    }

    /// `captures/` in `directory` when `--witness` will capture (some playbook has probes) or some
    /// playbook declares `captures:`, else nil.
    func capturesDirectory(in directory: SafeDirectory, for playbooks: [Playbook]) throws -> SafeDirectory? {
        let witness = options.witness && playbooks.contains(where: { !$0.probes.isEmpty })
        guard witness || playbooks.contains(where: { !$0.captures.isEmpty }) else { return nil }
        return try directory.subdirectory("captures")
    }
}

/// `body`, with a failure to open or write the results as `OrchestrationError.results` (exit 70) and
/// one line naming it.
func resultsFailure<T>(_ what: String = "results", _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ReportError {
        throw OrchestrationError(.results, "\(what): \(error)")
    } catch let error as SafeDirectoryError {
        throw OrchestrationError(.results, "\(what): \(error)")
    }
}
