import ArgumentParser
internal import CNetShims
import FailoverCore
import FailoverLinux
import FailoverModel
import FailoverNetlink
import FailoverProbe
import FailoverReport
import FailoverVM
import Foundation
import Logging

enum VMChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Build each playbook's topology for real, run its steps, and report verdicts.",
        discussion: """
            Results go to <results>/<UTC time>-<run id>/ (report.json, junit.xml, report.html,
            summary.txt) and <results>/latest points at the newest. Playbooks with bonds need the
            kernel bonding driver: with --vm auto (default) failover boots a stock kernel in a VM
            (the kernel lab) for them when the running kernel has none, and runs the other
            playbooks here. --vm always or --kernel runs every playbook in the VM.
            """
    )

    @Argument(help: "Playbook files or directories (searched for *.yaml).")
    var playbooks: [String]

    @Option(help: "Directory for results.")
    var results: String = "Results"

    @Option(help: "Also write the JUnit XML report to this file.")
    var junit: String?

    @Flag(help: "Print the JSON report on stdout instead of the summary.")
    var json = false

    @Option(help: "Use the kernel lab VM: auto (when this kernel lacks bonding), always, never.")
    var vm: VMChoice = .auto

    @Option(
        name: .customLong("kernel"),
        help: "Kernel image(s) for the VM (default: newest /boot/vmlinuz-* with modules). Repeat for a kernel matrix.")
    var kernels: [String] = []

    @Option(help: "VM accelerator: auto (KVM if it works, else TCG), kvm, tcg.")
    var accelerator: String = "auto"

    @Option(help: "Host-side time limit for one VM run, in seconds.")
    var vmTimeout: Int = 1800

    @Flag(
        help: """
            Also capture each probe's receiver interface with tcpdump (files under the results) and
            check the probe's figures against it: received count exactly, largest gap = outage within
            one interval + 1 ms. A disagreement makes the playbook errored.
            """)
    var witness = false

    @OptionGroup var logging: LoggingOptions

    // Internal: set by the host when it runs failover inside the kernel lab.
    @Option(help: .hidden) var guestRecord: String?
    @Option(help: .hidden) var runID: String?
    @Option(help: .hidden) var guestAccelerator: String?

    func validate() throws {
        if vm == .never && !kernels.isEmpty {
            throw ValidationError("--kernel needs the VM: drop --vm never")
        }
        if let runID, runID.count != 6 || !runID.allSatisfy(\.isHexDigit) {
            throw ValidationError("--run-id must be 6 hex digits")
        }
        if !["auto", "kvm", "tcg"].contains(accelerator) {
            throw ValidationError("--accelerator must be auto, kvm or tcg")
        }
    }

    func run() async throws {
        // First, before anything is created: SIGINT/SIGTERM from here on are never lost.
        try SignalCancellation.shared.install()
        let logger = try logging.bootstrap()
        let loaded = try PlaybookFiles.loadAll(playbooks, quietWarnings: guestRecord != nil)
        if let problem = Privileges.problem() ?? RunPrivileges.problem() {
            throw fail(ExitCodes.noPermission, problem)
        }
        if let signal = SignalCancellation.shared.received {
            throw fail(
                ExitCodes.software, "interrupted (\(SignalCancellation.name(of: signal))) before anything was created")
        }

        let names = runID.map(RunNames.init(runID:)) ?? RunNames.random()
        // The owner record of this run, held until the end: everything the run creates (namespaces,
        // tcpdump, qemu, the kernel lab's job directory, capture files) is listed in it first, so
        // `failover cleanup` can remove exactly that after a kill.
        do {
            try RunOwnership.claim(runID: names.runID)
        } catch {
            throw fail(ExitCodes.software, "\(error)")
        }
        RunOwnership.recordHelpers(into: names.runID)
        let work = Task { try await runClaimed(loaded, names: names, logger: logger) }
        let token = SignalCancellation.shared.cancelOnSignal(work)
        let result = await work.result
        SignalCancellation.shared.forget(token)
        RunResources.install(nil)
        RunOwnership.release(runID: names.runID)
        // A signal from here on takes its default action (exit 130/143): everything is torn down and
        // written; one that came before is reported here, never exit 0.
        SignalCancellation.shared.restoreDefaults()
        let code = try result.get()
        if let signal = SignalCancellation.shared.received {
            throw fail(
                ExitCodes.software,
                "interrupted by \(SignalCancellation.name(of: signal)): the report marks what did not finish")
        }
        if code != 0 { throw fail(code, "") }
    }

    /// The run, once its owner record is claimed; returns the exit code of the verdict.
    private func runClaimed(_ loaded: [Playbook], names: RunNames, logger: Logger) async throws -> Int32 {
        let bondPlaybooks = loaded.filter(\.needsBonding)
        let capabilities = KernelProbe.capabilities(logger: logger)
        let useVM: Bool
        switch vm {
        case .always: useVM = true
        case .never: useVM = false
        case .auto: useVM = !kernels.isEmpty || (!bondPlaybooks.isEmpty && !capabilities.hasBonding)
        }
        if !useVM && !bondPlaybooks.isEmpty && !capabilities.hasBonding {
            let list = bondPlaybooks.map(\.file).joined(separator: ", ")
            throw fail(
                ExitCodes.software,
                "kernel \(capabilities.release) has no bonding driver, and \(list) need\(bondPlaybooks.count == 1 ? "s" : "") bonds;"
                    + " run with --vm auto (the default) or --vm always to boot a stock kernel in the kernel lab")
        }

        if let guestRecord {
            // Inside the kernel lab: run, write the raw record for the host (after every playbook, so an
            // interrupted lab still reports what finished), print progress only.
            let here = try resultsFailure {
                try SafeDirectory.open((guestRecord as NSString).deletingLastPathComponent)
            }
            let recordName = (guestRecord as NSString).lastPathComponent
            let captures = try resultsFailure { try capturesDirectory(in: here, for: loaded) }
            let record = await runHere(
                loaded, names: names, capabilities: capabilities, captureDirectory: captures, logger: logger
            ) { partial in
                if let data = try? JSONEncoder().encode(partial) {
                    try? here.replaceFile(recordName, contents: Array(data))
                }
            }
            let data = try JSONEncoder().encode(record)
            try resultsFailure { try here.replaceFile(recordName, contents: Array(data)) }
            return ExitCodes.passed
        }

        let date = Date()
        // Opened once, before anything is built: every file of the run is written relative to it.
        let output = try resultsFailure { try ResultsDirectory.open(root: results, runID: names.runID, date: date) }
        var records: [RunRecord] = []
        // --vm auto without --kernel: only the playbooks that need bonding go to the kernel lab;
        // the others run here, on the real kernel, where timing figures are precise (TCG is not).
        let splitHostPlaybooks = vm == .auto && kernels.isEmpty && useVM
        let hostPlaybooks = useVM ? (splitHostPlaybooks ? loaded.filter { !$0.needsBonding } : []) : loaded
        let labPlaybooks = useVM ? (splitHostPlaybooks ? bondPlaybooks : loaded) : []
        if !hostPlaybooks.isEmpty {
            let captures = try resultsFailure { try capturesDirectory(in: output.run, for: hostPlaybooks) }
            records.append(
                await runHere(
                    hostPlaybooks, names: names, capabilities: capabilities, captureDirectory: captures,
                    logger: logger))
        }
        if !labPlaybooks.isEmpty {
            records += try await runInVM(labPlaybooks, names: names, output: output, logger: logger)
        }
        let invocation = FileManager.default.currentDirectoryPath
        let directory = try resultsFailure { try output.write(records, baseDirectory: invocation) }
        if let junit {
            try resultsFailure("--junit") {
                let parent = (junit as NSString).deletingLastPathComponent
                // The user named the file: its directory may be a symlink, the file itself may not.
                try SafeDirectory.create(parent.isEmpty ? "." : parent, followingSymlink: true).replaceFile(
                    (junit as NSString).lastPathComponent,
                    contents: Array(JUnitReport.render(records, baseDirectory: invocation).utf8))
            }
        }
        if json {
            printOut(try JSONReport.render(records))
        } else {
            let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            printOut(ConsoleSummary.render(records, color: color))
            printOut("results: \(directory)\n")
        }
        let verdict = records.map(\.verdict).max() ?? .passed
        return ExitCodes.forVerdict(verdict)
    }

    /// Runs the playbooks on the running kernel, one after the other. Cancellation of the calling task
    /// (SIGINT/SIGTERM) errors the playbook in progress (its runner tears down what was built) and
    /// skips the rest. `afterEach` gets the record so far after every playbook.
    /// Witness captures go to `captureDirectory` (`captures/` in the run's results directory).
    func runHere(
        _ playbooks: [Playbook], names: RunNames, capabilities: KernelCapabilities, captureDirectory: SafeDirectory?,
        logger: Logger, afterEach: (RunRecord) -> Void = { _ in }
    ) async -> RunRecord {
        let clock = LinuxMonotonicClock()
        let inGuest = guestRecord != nil
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
                    failoverVersion: Failover.version),
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
                results.append(skippedRecord(playbook, clock: clock, reason: "interrupted before it started"))
                continue
            }
            let backend = NamespaceBackend(logger: logger)
            var probes: (any TrafficProbes)?
            if !playbook.probes.isEmpty {
                probes = ProbeEngine(
                    playbook: playbook, names: playbookNames, logger: logger, witness: witness,
                    witnessDirectory: captureDirectory,
                    witnessEdgeAllowance: tcg ? VMTiming.tcgWitnessAllowance : .zero,
                    senderLatenessAllowance: tcg ? VMTiming.tcgAllowance : .zero)
            }
            let runner = PlaybookRunner(
                backend: backend, probes: probes, clock: clock, timing: timing, logger: logger)
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
    func runInVM(_ playbooks: [Playbook], names: RunNames, output: ResultsDirectory, logger: Logger) async throws
        -> [RunRecord]
    {
        let kernelImages: [KernelImage]
        do {
            kernelImages =
                try kernels.isEmpty ? [KernelLocator.defaultKernel()] : kernels.map(KernelLocator.kernel(at:))
        } catch {
            throw fail(ExitCodes.software, "kernel lab: \(KernelLocator.message(for: error))")
        }
        let directory = output.path
        let lab = KernelLab(logger: logger, progress: { line in printError(line) })
        let executable = try selfExecutable()
        let cwd = FileManager.default.currentDirectoryPath
        var records: [RunRecord] = []
        for kernel in kernelImages {
            if Task.isCancelled {
                let now = LinuxMonotonicClock()
                records.append(
                    labRecord(
                        kernel: kernel.release, runID: names.runID,
                        playbooks: playbooks.map {
                            skippedRecord($0, clock: now, reason: "interrupted before the kernel lab started")
                        }))
                continue
            }
            let recordName = "record-\(kernel.release).json"
            let recordPath = output.run.path(of: recordName)
            var argv = [executable, "run", "--vm", "never", "--guest-record", recordPath, "--run-id", names.runID]
            argv += ["--log-level", logging.verbose ? "debug" : logging.logLevel]
            argv += ["--guest-accelerator", "@ACCELERATOR@"]
            if witness { argv.append("--witness") }
            // Each file once: the guest expands a `matrix:` file into its instances again.
            var files: [String] = []
            for file in playbooks.map({ absolute($0.file, cwd: cwd) }) where !files.contains(file) {
                files.append(file)
            }
            argv += files
            let request = VMRunRequest(
                kernel: kernel, argv: argv, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                workingDirectory: cwd, writableDirectories: [absolute(directory, cwd: cwd)],
                timeout: .seconds(vmTimeout), accelerator: Accelerator(rawValue: accelerator) ?? .auto)
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
                    partialLabRecord(
                        playbooks, kernel: kernel.release, recordPath: recordPath, runID: names.runID,
                        message: message))
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
                    partialLabRecord(
                        playbooks, kernel: kernel.release, accelerator: result.accelerator.rawValue,
                        recordPath: recordPath, runID: names.runID, message: message))
                continue
            }
            try? output.run.remove(recordName)
            records.append(record)
        }
        return records
    }

    /// The record of a kernel whose lab run broke or was interrupted: the playbooks the guest finished
    /// (its partial record, written after each one; all of them when the signal came after the last),
    /// the next one *errored* with `message`, the rest skipped when interrupted (errored otherwise).
    private func partialLabRecord(
        _ playbooks: [Playbook], kernel: String, accelerator: String? = nil, recordPath: String, runID: String,
        message: String
    ) -> RunRecord {
        var finished: [PlaybookRecord] = []
        var partial: RunRecord?
        if let data = FileManager.default.contents(atPath: recordPath),
            let decoded = try? JSONDecoder().decode(RunRecord.self, from: data),
            decoded.playbooks.count <= playbooks.count
        {
            partial = decoded
            finished = decoded.playbooks
        }
        try? FileManager.default.removeItem(atPath: recordPath)
        let interrupted = Task.isCancelled
        let now = LinuxMonotonicClock().now()
        let rest = playbooks.dropFirst(finished.count).enumerated().map { offset, playbook in
            PlaybookRecord(
                name: playbook.name, file: playbook.file, seed: playbook.seed,
                verdict: offset == 0 || !interrupted ? .errored : .skipped,
                message: offset == 0 || !interrupted ? message : "interrupted before it started", started: now,
                ended: now, timers: [], steps: [], assertions: [], observations: [], parameters: playbook.parameters)
        }
        if var partial {
            partial.playbooks = finished + rest
            return partial
        }
        return labRecord(kernel: kernel, accelerator: accelerator, runID: runID, playbooks: rest)
    }

    private func labRecord(kernel: String, accelerator: String? = nil, runID: String, playbooks: [PlaybookRecord])
        -> RunRecord
    {
        RunRecord(
            runID: runID, startedAt: ISO8601DateFormatter().string(from: Date()),
            environment: EnvironmentRecord(
                kernel: kernel, execution: "vm", accelerator: accelerator, hostname: ProcessInfo.processInfo.hostName,
                failoverVersion: Failover.version),
            playbooks: playbooks)
    }

    private func skippedRecord(_ playbook: Playbook, clock: LinuxMonotonicClock, reason: String) -> PlaybookRecord {
        let now = clock.now()
        return PlaybookRecord(
            name: playbook.name, file: playbook.file, seed: playbook.seed, verdict: .skipped, message: reason,
            started: now, ended: now, timers: [], steps: [], assertions: [], observations: [],
            parameters: playbook.parameters)
    }
}

/// Timing rules of the kernel lab: the documented allowance under TCG.
enum VMTiming {
    /// Under TCG (software CPU emulation) timer-driven events arrive late: measured on these
    /// machines, active-backup with miimon 10 showed outages median 17.7 ms, max 215 ms, and
    /// gaps up to 23 ms with no fault at all. Deadlines derived from bond timers (`within:
    /// auto`) get this much extra; deadlines written in a playbook never do.
    static let tcgAllowance: Duration = .milliseconds(500)
    static let tcgAllowanceReason =
        "TCG (software-emulated CPU): timer-derived deadlines get +500ms; measured TCG jitter up to 215ms"
    /// Under TCG the one-way delay of a probe packet varies by tens of ms (gaps up to 23 ms with no
    /// fault), so the receive-time gap that the witness sees can differ from the probe's send-time
    /// outage by that much at the two edges: the witness's gap tolerance gets +25 ms there (it is
    /// recorded in every witness record). Packet counts must still agree exactly.
    static let tcgWitnessAllowance: Duration = .milliseconds(25)
}

func absolute(_ path: String, cwd: String) -> String {
    path.hasPrefix("/") ? path : (cwd as NSString).appendingPathComponent(path)
}

func seconds(_ duration: Duration) -> String {
    let ms = Double(duration.totalNanoseconds) / 1e6
    return "\((ms / 10).rounded() / 100)s"
}

func selfExecutable() throws -> String {
    let path = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    return path
}

/// `body`, with a failure to open or write the results as exit 70 and one line naming it.
func resultsFailure<T>(_ what: String = "results", _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ReportError {
        throw fail(ExitCodes.software, "\(what): \(error)")
    } catch let error as SafeDirectoryError {
        throw fail(ExitCodes.software, "\(what): \(error)")
    }
}

/// `captures/` in `directory` when `--witness` will capture (some playbook has probes), else nil.
extension RunCommand {
    func capturesDirectory(in directory: SafeDirectory, for playbooks: [Playbook]) throws -> SafeDirectory? {
        guard witness, playbooks.contains(where: { !$0.probes.isEmpty }) else { return nil }
        return try directory.subdirectory("captures")
    }
}
