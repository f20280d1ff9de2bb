/// A point on CLOCK_MONOTONIC, nanoseconds. All hosts of a run share this clock (namespaces do).
public struct MonotonicInstant: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public func advanced(by duration: Duration) -> MonotonicInstant {
        let delta = duration.totalNanoseconds
        if delta < 0 {
            return MonotonicInstant(nanoseconds: nanoseconds &- UInt64(-delta))
        }
        return MonotonicInstant(nanoseconds: nanoseconds &+ UInt64(delta))
    }

    /// `self - other` as a Duration (negative if other is later).
    public func duration(since other: MonotonicInstant) -> Duration {
        .nanoseconds(Int64(bitPattern: nanoseconds &- other.nanoseconds))
    }

    public var description: String { "\(nanoseconds)ns" }
}

public enum Verdict: String, Sendable, Hashable, Codable, Comparable {
    case passed, skipped, failed, errored

    private var rank: Int {
        switch self {
        case .passed: 0
        case .skipped: 1
        case .failed: 2
        case .errored: 3
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// Where and how the run executed.
public struct EnvironmentRecord: Sendable, Hashable, Codable {
    /// `uname -r` of the kernel the playbooks ran on.
    public var kernel: String
    /// `host` or `vm`.
    public var execution: String
    /// For a VM: `kvm` or `tcg`.
    public var accelerator: String?
    /// Extra time added to timer-derived deadlines (TCG), nanoseconds; 0 on host or KVM.
    public var timingAllowanceNanoseconds: Int64
    public var timingAllowanceReason: String?
    public var hostname: String
    public var failoverVersion: String

    public init(
        kernel: String, execution: String, accelerator: String? = nil, timingAllowanceNanoseconds: Int64 = 0,
        timingAllowanceReason: String? = nil, hostname: String, failoverVersion: String
    ) {
        self.kernel = kernel
        self.execution = execution
        self.accelerator = accelerator
        self.timingAllowanceNanoseconds = timingAllowanceNanoseconds
        self.timingAllowanceReason = timingAllowanceReason
        self.hostname = hostname
        self.failoverVersion = failoverVersion
    }
}

/// Something the kernel did, as observed, with when.
public struct ObservationRecord: Sendable, Hashable, Codable {
    public var time: MonotonicInstant
    public var host: String
    public var interface: String
    /// `link`, `active_slave`, `slave`, `mac`, `address`, `baseline`, …
    public var kind: String
    /// Human-readable detail, e.g. `carrier down (changes 3)`, `eth1`.
    public var detail: String
    /// The interface's whole observed state right after this record (link records only): the
    /// timeline assertions are evaluated on. Nil for address and observer records.
    public var state: ObservedLinkState?

    public init(
        time: MonotonicInstant, host: String, interface: String, kind: String, detail: String,
        state: ObservedLinkState? = nil
    ) {
        self.time = time
        self.host = host
        self.interface = interface
        self.kind = kind
        self.detail = detail
        self.state = state
    }
}

/// The state of one link as an observer saw it (netlink attributes), typed.
public struct ObservedLinkState: Sendable, Hashable, Codable {
    /// False once the link was deleted.
    public var exists: Bool
    public var adminUp: Bool
    public var carrier: Bool
    public var mac: MACAddress?
    /// Bonds: the active slave's name (nil: none).
    public var isBond: Bool
    public var activeSlave: String?
    /// Bond slaves: MII status, `active`/`backup`, link failure count.
    public var mii: MIIStatus?
    public var slaveState: String?
    public var linkFailures: Int?

    public init(
        exists: Bool = true, adminUp: Bool, carrier: Bool, mac: MACAddress? = nil, isBond: Bool = false,
        activeSlave: String? = nil, mii: MIIStatus? = nil, slaveState: String? = nil, linkFailures: Int? = nil
    ) {
        self.exists = exists
        self.adminUp = adminUp
        self.carrier = carrier
        self.mac = mac
        self.isBond = isBond
        self.activeSlave = activeSlave
        self.mii = mii
        self.slaveState = slaveState
        self.linkFailures = linkFailures
    }

    public static let deleted = ObservedLinkState(exists: false, adminUp: false, carrier: false)
}

/// How an assertion was timed, for the report: the mode and its bounds, in nanoseconds from
/// the start of the `expect` step (`AssertionRecord.started`).
public struct AssertionTimingRecord: Sendable, Hashable, Codable {
    /// `immediate`, `within`, `throughout` or `never`.
    public var mode: String
    /// `within`: the lower bound (`not_before`), if any.
    public var notBeforeNanoseconds: Int64?
    /// `throughout` / `never`: the length of the window.
    public var windowNanoseconds: Int64?
    /// True when the verdict comes from the observation timeline (interface assertions);
    /// false for snapshot checks (bond mode, permanent MAC) and probe figures.
    public var fromTimeline: Bool

    public init(mode: String, notBeforeNanoseconds: Int64? = nil, windowNanoseconds: Int64? = nil, fromTimeline: Bool) {
        self.mode = mode
        self.notBeforeNanoseconds = notBeforeNanoseconds
        self.windowNanoseconds = windowNanoseconds
        self.fromTimeline = fromTimeline
    }
}

/// How long an `expect` waited at most, and why.
public struct DeadlineRecord: Sendable, Hashable, Codable {
    public var nanoseconds: Int64
    /// `playbook` (written as `within:`) or `derived` (from bond timers).
    public var source: String
    /// Allowance included in `nanoseconds` (TCG), 0 otherwise.
    public var allowanceNanoseconds: Int64

    public init(nanoseconds: Int64, source: String, allowanceNanoseconds: Int64) {
        self.nanoseconds = nanoseconds
        self.source = source
        self.allowanceNanoseconds = allowanceNanoseconds
    }
}

public struct AssertionRecord: Sendable, Hashable, Codable {
    /// Index of the `expect` step in the playbook (0-based).
    public var stepIndex: Int
    public var description: String
    public var expected: String
    public var actual: String
    public var verdict: Verdict
    public var deadline: DeadlineRecord?
    /// The instant on the observation timeline that decided: when the condition became true
    /// (`within`, immediate), or for `throughout` / `never` when it was violated (nil: never).
    public var satisfiedAt: MonotonicInstant?
    public var started: MonotonicInstant
    public var ended: MonotonicInstant
    public var location: SourceLocation?
    /// Extra explanation: why errored, what to look at.
    public var message: String?
    /// Mode and bounds of the timing (nil in records written before it was recorded).
    public var timing: AssertionTimingRecord?

    public init(
        stepIndex: Int, description: String, expected: String, actual: String, verdict: Verdict,
        deadline: DeadlineRecord?, satisfiedAt: MonotonicInstant?, started: MonotonicInstant, ended: MonotonicInstant,
        location: SourceLocation?, message: String? = nil, timing: AssertionTimingRecord? = nil
    ) {
        self.timing = timing
        self.stepIndex = stepIndex
        self.description = description
        self.expected = expected
        self.actual = actual
        self.verdict = verdict
        self.deadline = deadline
        self.satisfiedAt = satisfiedAt
        self.started = started
        self.ended = ended
        self.location = location
        self.message = message
    }
}

public struct StepRecord: Sendable, Hashable, Codable {
    public var index: Int
    public var text: String
    public var location: SourceLocation?
    public var started: MonotonicInstant
    public var ended: MonotonicInstant
    /// For faults: when the kernel acknowledged the change.
    public var acknowledged: MonotonicInstant?
    public var verdict: Verdict
    public var message: String?
    /// For a `set` the kernel accepted: the option's value read back right after (the kernel
    /// may round it, e.g. updelay down to a multiple of miimon), in the spelling `set` uses.
    public var readBack: String?

    public init(
        index: Int, text: String, location: SourceLocation?, started: MonotonicInstant, ended: MonotonicInstant,
        acknowledged: MonotonicInstant?, verdict: Verdict, message: String? = nil, readBack: String? = nil
    ) {
        self.index = index
        self.text = text
        self.location = location
        self.started = started
        self.ended = ended
        self.acknowledged = acknowledged
        self.verdict = verdict
        self.message = message
        self.readBack = readBack
    }
}

/// A named timer value that deadlines were derived from (e.g. `server/bond0 miimon` = 100 ms).
public struct TimerRecord: Sendable, Hashable, Codable {
    public var name: String
    public var milliseconds: Int

    public init(name: String, milliseconds: Int) {
        self.name = name
        self.milliseconds = milliseconds
    }
}

public struct PlaybookRecord: Sendable, Hashable, Codable {
    public var name: String
    public var file: String
    public var seed: String?
    public var verdict: Verdict
    /// Why the run errored or was skipped, in one line.
    public var message: String?
    public var started: MonotonicInstant
    public var ended: MonotonicInstant
    public var timers: [TimerRecord]
    public var steps: [StepRecord]
    public var assertions: [AssertionRecord]
    public var observations: [ObservationRecord]
    /// Traffic probe figures, one per probe and direction (empty when the playbook has no probes).
    public var probes: [ProbeRecord]
    /// The parameter values of a `matrix:` playbook instance (nil for a plain playbook, and
    /// then absent from the JSON).
    public var parameters: [MatrixParameter]?
    /// The run plan's operations the backend executed, in order, one line each (nil when the
    /// backend does not record them); the plan-equals-execution test compares them with the plan.
    public var operations: [String]?
    /// The playbook's packet captures (nil when it declares none, and then absent from the JSON).
    public var captures: [CaptureRecord]?

    public init(
        name: String, file: String, seed: String?, verdict: Verdict, message: String?, started: MonotonicInstant,
        ended: MonotonicInstant, timers: [TimerRecord], steps: [StepRecord], assertions: [AssertionRecord],
        observations: [ObservationRecord], probes: [ProbeRecord] = [], parameters: [MatrixParameter] = [],
        operations: [String]? = nil, captures: [CaptureRecord]? = nil
    ) {
        self.captures = captures
        self.parameters = parameters.isEmpty ? nil : parameters
        self.name = name
        self.file = file
        self.seed = seed
        self.verdict = verdict
        self.message = message
        self.started = started
        self.ended = ended
        self.timers = timers
        self.steps = steps
        self.assertions = assertions
        self.observations = observations
        self.probes = probes
        self.operations = operations
    }

    private enum CodingKeys: String, CodingKey {
        case name, file, seed, verdict, message, started, ended, timers, steps, assertions, observations, probes
        case parameters, operations, captures
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        file = try container.decode(String.self, forKey: .file)
        seed = try container.decodeIfPresent(String.self, forKey: .seed)
        verdict = try container.decode(Verdict.self, forKey: .verdict)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        started = try container.decode(MonotonicInstant.self, forKey: .started)
        ended = try container.decode(MonotonicInstant.self, forKey: .ended)
        timers = try container.decode([TimerRecord].self, forKey: .timers)
        steps = try container.decode([StepRecord].self, forKey: .steps)
        assertions = try container.decode([AssertionRecord].self, forKey: .assertions)
        observations = try container.decode([ObservationRecord].self, forKey: .observations)
        // Records written before probes were reported have no `probes` key.
        probes = try container.decodeIfPresent([ProbeRecord].self, forKey: .probes) ?? []
        parameters = try container.decodeIfPresent([MatrixParameter].self, forKey: .parameters)
        operations = try container.decodeIfPresent([String].self, forKey: .operations)
        captures = try container.decodeIfPresent([CaptureRecord].self, forKey: .captures)
    }
}

/// Everything one invocation of `failover run` did, on one kernel.
public struct RunRecord: Sendable, Hashable, Codable {
    public var runID: String
    /// UTC wall-clock start, ISO 8601.
    public var startedAt: String
    public var environment: EnvironmentRecord
    public var playbooks: [PlaybookRecord]

    public init(runID: String, startedAt: String, environment: EnvironmentRecord, playbooks: [PlaybookRecord]) {
        self.runID = runID
        self.startedAt = startedAt
        self.environment = environment
        self.playbooks = playbooks
    }

    /// The worst verdict of all playbooks (passed when there are none).
    public var verdict: Verdict { playbooks.map(\.verdict).max() ?? .passed }
}

/// A time figure of a probe, with the method that produced it and its resolution.
public struct ProbeTimeRecord: Sendable, Hashable, Codable {
    public var nanoseconds: Int64
    /// `timestamp (RFC 6414 TBM)`, `packet loss (RFC 6414 PLBM)`, …
    public var method: String
    /// The figure is exact to within this (one probe interval).
    public var resolutionNanoseconds: Int64
    /// True when the outage had not ended when the stream stopped: the value is a lower bound.
    public var lowerBound: Bool

    public init(nanoseconds: Int64, method: String, resolutionNanoseconds: Int64, lowerBound: Bool = false) {
        self.nanoseconds = nanoseconds
        self.method = method
        self.resolutionNanoseconds = resolutionNanoseconds
        self.lowerBound = lowerBound
    }

    public var milliseconds: Double { Double(nanoseconds) / 1e6 }
}

/// What a probe direction measured in the window opened by one fault step.
public struct ProbeWindowRecord: Sendable, Hashable, Codable {
    /// 0-based index of the step that opened the window.
    public var stepIndex: Int
    /// `failover` (pull, down, …), `reversion` (plug, up, …) or `change` (set).
    public var kind: String
    public var sent: Int
    public var received: Int
    public var lost: Int
    public var duplicated: Int
    public var reordered: Int
    public var sendErrors: Int
    public var lossPeriodCount: Int
    /// Failover (or reversion) time by the timestamp method (RFC 6414 TBM).
    public var timestampTime: ProbeTimeRecord
    /// Failover (or reversion) time by the packet-loss method (RFC 6414 PLBM).
    public var lossTime: ProbeTimeRecord
    /// False when the impairment had not ended when the stream stopped.
    public var recovered: Bool
    /// Median one-way delay after recovery minus before the fault (nil without samples).
    public var additiveBackupDelay: ProbeTimeRecord?
    /// Send time of the last unimpaired packet before the outage (nil when nothing was lost);
    /// the outage spans `timestampTime` from here.
    public var outageStart: MonotonicInstant?
    /// False when the probe was not sending across the whole window (not started, stopped, sender
    /// behind its schedule, no packets): the figures describe no measurement. nil in older reports.
    public var measured: Bool?
    /// Why the window is unmeasured.
    public var unmeasuredReason: String?
    /// Largest lateness behind schedule of a packet delivered in the window (by the send time it carries).
    public var senderMaxLatenessNanoseconds: Int64?
    /// Packets lost per flow (UDP source port) in the window, for a multi-flow probe that lost
    /// packets; nil otherwise.
    public var lostPerFlow: [FlowLoss]?

    public init(
        stepIndex: Int, kind: String, sent: Int, received: Int, lost: Int, duplicated: Int, reordered: Int,
        sendErrors: Int, lossPeriodCount: Int, timestampTime: ProbeTimeRecord, lossTime: ProbeTimeRecord,
        recovered: Bool, additiveBackupDelay: ProbeTimeRecord?, outageStart: MonotonicInstant? = nil,
        measured: Bool? = nil, unmeasuredReason: String? = nil, senderMaxLatenessNanoseconds: Int64? = nil,
        lostPerFlow: [FlowLoss]? = nil
    ) {
        self.lostPerFlow = lostPerFlow
        self.measured = measured
        self.unmeasuredReason = unmeasuredReason
        self.senderMaxLatenessNanoseconds = senderMaxLatenessNanoseconds
        self.stepIndex = stepIndex
        self.kind = kind
        self.sent = sent
        self.received = received
        self.lost = lost
        self.duplicated = duplicated
        self.reordered = reordered
        self.sendErrors = sendErrors
        self.lossPeriodCount = lossPeriodCount
        self.timestampTime = timestampTime
        self.lossTime = lossTime
        self.recovered = recovered
        self.additiveBackupDelay = additiveBackupDelay
        self.outageStart = outageStart
    }
}

/// An independent packet capture of a probe direction's receiver, compared with the probe.
public struct ProbeWitnessRecord: Sendable, Hashable, Codable {
    /// E.g. `tcpdump`.
    public var tool: String
    /// Capture file (relative to the results directory when written there).
    public var file: String
    /// `host/interface` the capture ran on.
    public var interface: String
    /// Probe packets of this stream in the capture (duplicates included).
    public var matching: Int
    public var uniqueSequences: Int
    /// Longest time between two consecutive captured probe packets (receive times).
    public var largestGapNanoseconds: Int64?
    /// Packets the capture tool reported as dropped by the kernel.
    public var droppedByKernel: Int?
    /// The largest gap may differ from the probe's longest outage by at most this.
    public var toleranceNanoseconds: Int64
    /// The capture's packet count equals the probe receiver's exactly.
    public var receivedAgrees: Bool
    /// The largest gap matches the probe's longest outage (timestamp method) within the tolerance.
    public var outageAgrees: Bool
    /// One line: what disagreed, or what was compared.
    public var detail: String
    /// The capture's loss, attributed to windows by the send times its packets carry, equals the
    /// probe's in every window (nil: not compared).
    public var windowsAgree: Bool?
    /// Per fault window (step index): packets missing from the capture, attributed like the probe's loss.
    public var windowLoss: [ProbeWitnessWindow]?

    public init(
        tool: String, file: String, interface: String, matching: Int, uniqueSequences: Int,
        largestGapNanoseconds: Int64?, droppedByKernel: Int?, toleranceNanoseconds: Int64, receivedAgrees: Bool,
        outageAgrees: Bool, detail: String
    ) {
        self.tool = tool
        self.file = file
        self.interface = interface
        self.matching = matching
        self.uniqueSequences = uniqueSequences
        self.largestGapNanoseconds = largestGapNanoseconds
        self.droppedByKernel = droppedByKernel
        self.toleranceNanoseconds = toleranceNanoseconds
        self.receivedAgrees = receivedAgrees
        self.outageAgrees = outageAgrees
        self.detail = detail
    }

    /// Every comparison holds.
    public var agrees: Bool { receivedAgrees && outageAgrees && windowsAgree != false }
}

/// One fault window as the witness capture saw it.
public struct ProbeWitnessWindow: Sendable, Hashable, Codable {
    /// 0-based index of the step that opened the window.
    public var stepIndex: Int
    /// Sequence numbers missing from the capture in this window, and in how many gaps.
    public var lost: Int
    public var lossPeriodCount: Int
    /// The probe's figures for the same window.
    public var probeLost: Int
    public var probeLossPeriodCount: Int

    public init(stepIndex: Int, lost: Int, lossPeriodCount: Int, probeLost: Int, probeLossPeriodCount: Int) {
        self.stepIndex = stepIndex
        self.lost = lost
        self.lossPeriodCount = lossPeriodCount
        self.probeLost = probeLost
        self.probeLossPeriodCount = probeLossPeriodCount
    }
}

/// Packets one flow of a multi-flow probe lost: flows are numbered from 0 in the order the
/// sender opened their sockets; `sourcePort` is that socket's local port.
public struct FlowLoss: Sendable, Hashable, Codable {
    public var flow: Int
    public var sourcePort: Int?
    public var lost: Int

    public init(flow: Int, sourcePort: Int?, lost: Int) {
        self.flow = flow
        self.sourcePort = sourcePort
        self.lost = lost
    }
}

/// The figures of one direction of one traffic probe over a playbook run.
public struct ProbeRecord: Sendable, Hashable, Codable {
    public var probe: String
    /// `forward` (from → to) or `reverse`.
    public var direction: String
    /// Sending and receiving host names.
    public var from: String
    public var to: String
    public var sourceAddress: String?
    public var destinationAddress: String
    public var port: Int
    public var streamID: UInt32
    /// Packets per second.
    public var rate: Int
    public var intervalNanoseconds: Int64
    /// Send attempts the kernel accepted, and datagrams that arrived (unique sequence numbers).
    public var sent: Int
    public var received: Int
    public var lost: Int
    public var duplicated: Int
    public var reordered: Int
    /// Send attempts the kernel refused (ENETUNREACH, …).
    public var sendErrors: Int
    /// Datagrams the receiver socket dropped (SO_RXQ_OVFL).
    public var receiverDrops: Int
    public var lossPeriodCount: Int
    public var lossPeriodMinLength: Int?
    public var lossPeriodMaxLength: Int?
    /// Packets lost before the first fault (non-zero: the path was not clean).
    public var lostBeforeFirstFault: Int
    /// One per fault step, in time order.
    public var windows: [ProbeWindowRecord]
    public var witness: ProbeWitnessRecord?
    /// Why the figures cannot be trusted, if they cannot.
    public var measurementError: String?
    /// How arrival times were taken.
    public var timestamping: String
    /// The sender's largest lateness behind its schedule, ns: the packet-loss method (lost ÷ rate)
    /// and the timestamp method may differ by up to this much, since they assume resp. use send times.
    public var senderMaxLatenessNanoseconds: Int64?
    /// Packets sent more than one interval after their deadline.
    public var senderLatePackets: Int?
    /// A sender further behind than this: verdicts on the probe are errored.
    public var senderLatenessBoundNanoseconds: Int64?
    /// A probe to a CARP group's VIP (`to` is the group): its members, and the packets each
    /// received (their sum is `received`; a packet received by two members is a duplicate).
    public var memberHosts: [String]?
    public var receivedByMember: [Int]?

    public init(
        probe: String, direction: String, from: String, to: String, sourceAddress: String?,
        destinationAddress: String, port: Int, streamID: UInt32, rate: Int, intervalNanoseconds: Int64, sent: Int,
        received: Int, lost: Int, duplicated: Int, reordered: Int, sendErrors: Int, receiverDrops: Int,
        lossPeriodCount: Int, lossPeriodMinLength: Int?, lossPeriodMaxLength: Int?, lostBeforeFirstFault: Int,
        windows: [ProbeWindowRecord], witness: ProbeWitnessRecord? = nil, measurementError: String? = nil,
        timestamping: String, senderMaxLatenessNanoseconds: Int64? = nil, senderLatePackets: Int? = nil,
        senderLatenessBoundNanoseconds: Int64? = nil
    ) {
        self.senderLatenessBoundNanoseconds = senderLatenessBoundNanoseconds
        self.senderMaxLatenessNanoseconds = senderMaxLatenessNanoseconds
        self.senderLatePackets = senderLatePackets
        self.probe = probe
        self.direction = direction
        self.from = from
        self.to = to
        self.sourceAddress = sourceAddress
        self.destinationAddress = destinationAddress
        self.port = port
        self.streamID = streamID
        self.rate = rate
        self.intervalNanoseconds = intervalNanoseconds
        self.sent = sent
        self.received = received
        self.lost = lost
        self.duplicated = duplicated
        self.reordered = reordered
        self.sendErrors = sendErrors
        self.receiverDrops = receiverDrops
        self.lossPeriodCount = lossPeriodCount
        self.lossPeriodMinLength = lossPeriodMinLength
        self.lossPeriodMaxLength = lossPeriodMaxLength
        self.lostBeforeFirstFault = lostBeforeFirstFault
        self.windows = windows
        self.witness = witness
        self.measurementError = measurementError
        self.timestamping = timestamping
    }
}
