import FailoverModel
import FailoverVM

/// Everything `failover run` was asked to do, as plain values (the executable builds it from its
/// arguments; nothing here knows about argument parsing).
public struct RunOptions: Sendable {
    /// When the kernel lab (a stock kernel in a VM) is used.
    public enum LabUse: String, Sendable, Equatable, CaseIterable {
        /// Only for playbooks that need bonding when the running kernel has no bonding driver, or
        /// for every playbook when kernels are named.
        case auto
        /// Every playbook runs in the kernel lab.
        case always
        /// Every playbook runs here.
        case never
    }

    /// Set when this process is failover inside the kernel lab, started by the host (`GuestProtocol`).
    public struct Guest: Sendable, Equatable {
        /// Where the raw run record for the host goes (rewritten after every playbook).
        public var recordPath: String
        /// The accelerator the host's qemu runs under (`kvm` or `tcg`), as the host filled it in.
        public var accelerator: String?

        /// The playbooks to run, by name (`--guest-instance`); empty: every playbook of the files.
        public var instances: [String] = []

        public init(recordPath: String, accelerator: String?, instances: [String] = []) {
            self.recordPath = recordPath
            self.accelerator = accelerator
            self.instances = instances
        }
    }

    /// Playbook files or directories (searched for *.yaml).
    public var playbooks: [String]
    /// Directory for results.
    public var results: String = "Results"
    /// Also write the JUnit XML report to this file.
    public var junit: String?
    /// Print the JSON report on stdout instead of the summary.
    public var json = false
    public var lab: LabUse = .auto
    /// Kernel images for the kernel lab (empty: the default kernel); several make a kernel matrix.
    public var kernels: [String] = []
    public var accelerator: Accelerator = .auto
    /// Host-side time limit for one kernel lab run.
    public var labTimeout: Duration = .seconds(1800)
    /// Capture each probe's receiver with tcpdump and check the probe's figures against it.
    public var witness = false
    /// The log level the guest is started with (`--log-level`).
    public var guestLogLevel = "notice"
    /// A fixed run id (6 hex digits); nil draws one.
    public var runID: String?
    public var guest: Guest?

    public init(playbooks: [String]) {
        self.playbooks = playbooks
    }
}

/// How a run ended when it got as far as running playbooks; the executable maps it to an exit status.
/// Everything that stops a run earlier is an `OrchestrationError`.
public enum RunOutcome: Sendable, Equatable {
    /// The run finished and its reports are written: the worst verdict of all its playbooks
    /// (`passed` when there were none).
    case finished(Verdict)
    /// Inside the kernel lab: the record for the host is written; the host judges it.
    case guestRecordWritten
}

/// Which playbooks run here, on the running kernel, and which in the kernel lab.
public struct Placement: Sendable {
    public var host: [Playbook]
    public var lab: [Playbook]

    /// Places `playbooks` by `use` (see `RunOptions.LabUse`). With `auto` and no named kernels, only the
    /// playbooks that need bonding go to the kernel lab: the others run here, on the real kernel, where
    /// timing figures are precise (TCG is not).
    /// - Throws: `OrchestrationError.environment` when playbooks need bonds, the running kernel
    ///   (`release`) has no bonding driver and the kernel lab is not to be used.
    public static func decide(
        _ playbooks: [Playbook], use: RunOptions.LabUse, kernelsNamed: Bool, release: String, hasBonding: Bool
    ) throws -> Placement {
        let bondPlaybooks = playbooks.filter(\.needsBonding)
        let useVM: Bool
        switch use {
        case .always: useVM = true
        case .never: useVM = false
        case .auto: useVM = kernelsNamed || (!bondPlaybooks.isEmpty && !hasBonding)
        }
        if !useVM && !bondPlaybooks.isEmpty && !hasBonding {
            let list = bondPlaybooks.map(\.file).joined(separator: ", ")
            throw OrchestrationError(
                .environment,
                "kernel \(release) has no bonding driver, and \(list) need\(bondPlaybooks.count == 1 ? "s" : "") bonds;"
                    + " run with --vm auto (the default) or --vm always to boot a stock kernel in the kernel lab")
        }
        guard useVM else { return Placement(host: playbooks, lab: []) }
        if use == .auto && !kernelsNamed {
            return Placement(host: playbooks.filter { !$0.needsBonding }, lab: bondPlaybooks)
        }
        return Placement(host: [], lab: playbooks)
    }
}
