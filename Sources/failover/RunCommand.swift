import ArgumentParser
import FailoverOrchestration
import FailoverVM

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
    @Option(help: .hidden) var guestInstance: [String] = []

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
        var options = RunOptions(playbooks: playbooks)
        options.results = results
        options.junit = junit
        options.json = json
        options.lab = vm.labUse
        options.kernels = kernels
        options.accelerator = Accelerator(rawValue: accelerator) ?? .auto
        options.labTimeout = .seconds(vmTimeout)
        options.witness = witness
        options.guestLogLevel = logging.verbose ? "debug" : logging.logLevel
        options.runID = runID
        options.guest = guestRecord.map {
            RunOptions.Guest(recordPath: $0, accelerator: guestAccelerator, instances: guestInstance)
        }
        let outcome = try await RunOrchestrator(options: options, logger: logger).run()
        let code = ExitCodes.forOutcome(outcome)
        if code != 0 { throw fail(code, "") }
    }
}

extension VMChoice {
    var labUse: RunOptions.LabUse {
        switch self {
        case .auto: .auto
        case .always: .always
        case .never: .never
        }
    }
}
