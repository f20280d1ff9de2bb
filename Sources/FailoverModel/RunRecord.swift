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
    /// `link`, `active_slave`, `slave`, `mac`, `address`, …
    public var kind: String
    /// Human-readable detail, e.g. `carrier down (changes 3)`, `eth1`.
    public var detail: String

    public init(time: MonotonicInstant, host: String, interface: String, kind: String, detail: String) {
        self.time = time
        self.host = host
        self.interface = interface
        self.kind = kind
        self.detail = detail
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
    /// When the condition was first seen to hold (nil if it never held).
    public var satisfiedAt: MonotonicInstant?
    public var started: MonotonicInstant
    public var ended: MonotonicInstant
    public var location: SourceLocation?
    /// Extra explanation: why errored, what to look at.
    public var message: String?

    public init(
        stepIndex: Int, description: String, expected: String, actual: String, verdict: Verdict,
        deadline: DeadlineRecord?, satisfiedAt: MonotonicInstant?, started: MonotonicInstant, ended: MonotonicInstant,
        location: SourceLocation?, message: String? = nil
    ) {
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

    public init(
        index: Int, text: String, location: SourceLocation?, started: MonotonicInstant, ended: MonotonicInstant,
        acknowledged: MonotonicInstant?, verdict: Verdict, message: String? = nil
    ) {
        self.index = index
        self.text = text
        self.location = location
        self.started = started
        self.ended = ended
        self.acknowledged = acknowledged
        self.verdict = verdict
        self.message = message
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

    public init(
        name: String, file: String, seed: String?, verdict: Verdict, message: String?, started: MonotonicInstant,
        ended: MonotonicInstant, timers: [TimerRecord], steps: [StepRecord], assertions: [AssertionRecord],
        observations: [ObservationRecord]
    ) {
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
