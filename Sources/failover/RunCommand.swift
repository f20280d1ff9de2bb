import ArgumentParser
internal import CNetShims
import FailoverCore
import FailoverLinux
import FailoverModel
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
        let logger = try logging.bootstrap()
        let loaded = try PlaybookFiles.loadAll(playbooks, quietWarnings: guestRecord != nil)
        if let problem = Privileges.problem() { throw fail(ExitCodes.noPermission, problem) }

        let names = runID.map(RunNames.init(runID:)) ?? RunNames.random()
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
            // Inside the kernel lab: run, write the raw record for the host, print progress only.
            let here = (guestRecord as NSString).deletingLastPathComponent
            let record = await runHere(
                loaded, names: names, capabilities: capabilities, captureDirectory: here, logger: logger)
            let data = try JSONEncoder().encode(record)
            try data.write(to: URL(fileURLWithPath: guestRecord), options: .atomic)
            return
        }

        let date = Date()
        var records: [RunRecord] = []
        // --vm auto without --kernel: only the playbooks that need bonding go to the kernel lab;
        // the others run here, on the real kernel, where timing figures are precise (TCG is not).
        let splitHostPlaybooks = vm == .auto && kernels.isEmpty && useVM
        let hostPlaybooks = useVM ? (splitHostPlaybooks ? loaded.filter { !$0.needsBonding } : []) : loaded
        let labPlaybooks = useVM ? (splitHostPlaybooks ? bondPlaybooks : loaded) : []
        if !hostPlaybooks.isEmpty {
            let directory = try ResultsDirectory.create(root: results, runID: names.runID, date: date)
            records.append(
                await runHere(
                    hostPlaybooks, names: names, capabilities: capabilities, captureDirectory: directory,
                    logger: logger))
        }
        if !labPlaybooks.isEmpty {
            records += try await runInVM(labPlaybooks, names: names, date: date, logger: logger)
        }
        let directory = try ResultsDirectory.write(records, root: results, runID: names.runID, date: date)
        if let junit {
            try Data(JUnitReport.render(records).utf8).write(to: URL(fileURLWithPath: junit), options: .atomic)
        }
        if json {
            printOut(try JSONReport.render(records))
        } else {
            let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            printOut(ConsoleSummary.render(records, color: color))
            printOut("results: \(directory)\n")
        }
        let verdict = records.map(\.verdict).max() ?? .passed
        let code = ExitCodes.forVerdict(verdict)
        if code != 0 { throw fail(code, "") }
    }

    /// Runs the playbooks on the running kernel, one after the other, with SIGINT/SIGTERM
    /// turned into cancellation (which tears down what was built).
    /// Witness captures go to `captureDirectory` (the run's results directory).
    func runHere(
        _ playbooks: [Playbook], names: RunNames, capabilities: KernelCapabilities, captureDirectory: String,
        logger: Logger
    ) async -> RunRecord {
        let clock = LinuxMonotonicClock()
        let inGuest = guestRecord != nil
        let tcg = inGuest && guestAccelerator == "tcg"
        let timing =
            tcg
            ? TimingPolicy(allowance: VMTiming.tcgAllowance, allowanceReason: VMTiming.tcgAllowanceReason)
            : .exact
        let startedAt = ISO8601DateFormatter().string(from: Date())
        let work = Task {
            var results: [PlaybookRecord] = []
            for (index, playbook) in playbooks.enumerated() {
                // One run id per invocation: playbooks run one after another, each after the
                // previous one's namespaces were removed, so their names may repeat.
                let playbookNames = names
                let backend = NamespaceBackend(logger: logger)
                var probes: (any TrafficProbes)?
                if !playbook.probes.isEmpty {
                    let captures = (captureDirectory as NSString).appendingPathComponent("captures")
                    probes = ProbeEngine(
                        playbook: playbook, names: playbookNames, logger: logger, witness: witness,
                        witnessDirectory: captures, witnessEdgeAllowance: tcg ? VMTiming.tcgWitnessAllowance : .zero,
                        senderLatenessAllowance: tcg ? VMTiming.tcgAllowance : .zero)
                }
                let runner = PlaybookRunner(
                    backend: backend, probes: probes, clock: clock, timing: timing, logger: logger)
                if Task.isCancelled {
                    results.append(skippedRecord(playbook, clock: clock, reason: "interrupted before it started"))
                    continue
                }
                let record = await runner.run(playbook, names: playbookNames)
                results.append(record)
                if inGuest {
                    // Progress for the host console (the host prints the full summary).
                    printOut(
                        "[\(index + 1)/\(playbooks.count)] \(record.verdict.rawValue.uppercased()) \(playbook.name)\n")
                }
            }
            return results
        }
        let signals = SignalCancellation(task: work)
        let results = await work.value
        signals.stop()
        return RunRecord(
            runID: names.runID, startedAt: startedAt,
            environment: EnvironmentRecord(
                kernel: capabilities.release, execution: inGuest ? "vm" : "host",
                accelerator: inGuest ? guestAccelerator : nil,
                timingAllowanceNanoseconds: timing.allowance.totalNanoseconds,
                timingAllowanceReason: timing.allowanceReason, hostname: ProcessInfo.processInfo.hostName,
                failoverVersion: Failover.version),
            playbooks: results)
    }

    /// Runs all playbooks in one VM per kernel; the same binary runs inside with `--vm never`.
    func runInVM(_ playbooks: [Playbook], names: RunNames, date: Date, logger: Logger) async throws -> [RunRecord] {
        let kernelImages: [KernelImage]
        do {
            kernelImages =
                try kernels.isEmpty ? [KernelLocator.defaultKernel()] : kernels.map(KernelLocator.kernel(at:))
        } catch {
            throw fail(ExitCodes.software, "kernel lab: \(error)")
        }
        let directory = try ResultsDirectory.create(root: results, runID: names.runID, date: date)
        let lab = KernelLab(logger: logger)
        let executable = try selfExecutable()
        let cwd = FileManager.default.currentDirectoryPath
        var records: [RunRecord] = []
        for kernel in kernelImages {
            let recordPath = (directory as NSString).appendingPathComponent("record-\(kernel.release).json")
            var argv = [executable, "run", "--vm", "never", "--guest-record", recordPath, "--run-id", names.runID]
            argv += ["--log-level", logging.verbose ? "debug" : logging.logLevel]
            argv += ["--guest-accelerator", "@ACCELERATOR@"]
            if witness { argv.append("--witness") }
            argv += playbooks.map { absolute($0.file, cwd: cwd) }
            let request = VMRunRequest(
                kernel: kernel, argv: argv, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                workingDirectory: cwd, writableDirectories: [absolute(directory, cwd: cwd)],
                timeout: .seconds(vmTimeout), accelerator: Accelerator(rawValue: accelerator) ?? .auto)
            printError("kernel lab: booting \(kernel.release) (\(kernel.vmlinuzPath))")
            // A kernel whose lab run breaks errors its playbooks (exit 70); the other kernels and the
            // host playbooks still run and are reported.
            let result: VMRunResult
            do {
                result = try await lab.run(request) { line in printError("  vm| " + line) }
            } catch {
                let message = "kernel lab (\(kernel.release)): \(error)"
                printError("failover: " + message)
                records.append(
                    labErroredRecord(playbooks, kernel: kernel.release, runID: names.runID, message: message))
                continue
            }
            printError(
                "kernel lab: \(kernel.release) under \(result.accelerator.rawValue): boot \(seconds(result.bootToCommand)),"
                    + " total \(seconds(result.total)), exit \(result.exitCode)")
            guard let data = FileManager.default.contents(atPath: recordPath),
                let record = try? JSONDecoder().decode(RunRecord.self, from: data)
            else {
                let message =
                    "kernel lab (\(kernel.release)): the guest wrote no results (exit \(result.exitCode)); see the vm| lines above"
                printError("failover: " + message)
                records.append(
                    labErroredRecord(
                        playbooks, kernel: kernel.release, accelerator: result.accelerator.rawValue, runID: names.runID,
                        message: message))
                continue
            }
            try? FileManager.default.removeItem(atPath: recordPath)
            records.append(record)
        }
        return records
    }

    /// The record of a kernel whose lab run broke: every playbook *errored* with `message`.
    private func labErroredRecord(
        _ playbooks: [Playbook], kernel: String, accelerator: String? = nil, runID: String, message: String
    ) -> RunRecord {
        let now = LinuxMonotonicClock().now()
        return RunRecord(
            runID: runID, startedAt: ISO8601DateFormatter().string(from: Date()),
            environment: EnvironmentRecord(
                kernel: kernel, execution: "vm", accelerator: accelerator, hostname: ProcessInfo.processInfo.hostName,
                failoverVersion: Failover.version),
            playbooks: playbooks.map {
                PlaybookRecord(
                    name: $0.name, file: $0.file, seed: $0.seed, verdict: .errored, message: message, started: now,
                    ended: now, timers: [], steps: [], assertions: [], observations: [])
            })
    }

    private func skippedRecord(_ playbook: Playbook, clock: LinuxMonotonicClock, reason: String) -> PlaybookRecord {
        let now = clock.now()
        return PlaybookRecord(
            name: playbook.name, file: playbook.file, seed: playbook.seed, verdict: .skipped, message: reason,
            started: now, ended: now, timers: [], steps: [], assertions: [], observations: [])
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
