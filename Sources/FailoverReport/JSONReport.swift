import FailoverModel
import Foundation

/// The machine-readable report: `{"format": "failover-report/1", "runs": [...]}` with every
/// field of the run records. Instants are CLOCK_MONOTONIC nanoseconds (`…Nanoseconds`) and,
/// where it helps reading, milliseconds since the playbook started (`…OffsetMilliseconds`).
/// Output is pretty-printed with sorted keys, so the same records always give the same bytes.
public enum JSONReport {
    /// The value of the top-level `format` key.
    public static let format = "failover-report/1"

    /// Renders the runs (one per kernel) as JSON.
    /// - Throws: `ReportError` (operation `encode JSON`) if encoding fails.
    public static func render(_ runs: [RunRecord]) throws -> String {
        let document = Document(runs: runs)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do {
            data = try encoder.encode(document)
        } catch {
            throw ReportError(operation: "encode JSON", path: nil, errno: nil, detail: "\(error)")
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    struct Counts: Encodable {
        var passed: Int
        var failed: Int
        var errored: Int
        var skipped: Int
        var total: Int

        init(_ tally: ReportText.Tally) {
            passed = tally.passed
            failed = tally.failed
            errored = tally.errored
            skipped = tally.skipped
            total = tally.passed + tally.failed + tally.errored + tally.skipped
        }
    }

    struct Document: Encodable {
        var format = JSONReport.format
        var verdict: Verdict
        /// Playbook verdicts over all runs.
        var summary: Counts
        var runs: [Run]

        init(runs: [RunRecord]) {
            self.verdict = runs.map(\.verdict).max() ?? .passed
            self.summary = Counts(ReportText.Tally(runs.flatMap { $0.playbooks.map(\.verdict) }))
            self.runs = runs.map(Run.init)
        }
    }

    struct Run: Encodable {
        var runID: String
        var startedAt: String
        var verdict: Verdict
        var summary: Counts
        var environment: Environment
        var playbooks: [Playbook]

        init(_ run: RunRecord) {
            runID = run.runID
            startedAt = run.startedAt
            verdict = run.verdict
            summary = Counts(ReportText.Tally(run.playbooks.map(\.verdict)))
            environment = Environment(run.environment)
            playbooks = run.playbooks.map(Playbook.init)
        }
    }

    struct Environment: Encodable {
        var kernel: String
        var execution: String
        var accelerator: String?
        var timingAllowanceNanoseconds: Int64
        var timingAllowanceMilliseconds: Double
        var timingAllowanceReason: String?
        var hostname: String
        var failoverVersion: String
        /// The same statement the text reports carry.
        var statement: String

        init(_ environment: EnvironmentRecord) {
            kernel = environment.kernel
            execution = environment.execution
            accelerator = environment.accelerator
            timingAllowanceNanoseconds = environment.timingAllowanceNanoseconds
            timingAllowanceMilliseconds = milliseconds(environment.timingAllowanceNanoseconds)
            timingAllowanceReason = environment.timingAllowanceReason
            hostname = environment.hostname
            failoverVersion = environment.failoverVersion
            statement = ReportText.environment(environment)
        }
    }

    struct Location: Encodable {
        var file: String
        var line: Int
        var column: Int
        /// `file:line:column`.
        var text: String

        init?(_ location: SourceLocation?) {
            guard let location else { return nil }
            file = location.file
            line = location.line
            column = location.column
            text = location.description
        }
    }

    struct Playbook: Encodable {
        var name: String
        var file: String
        /// A `matrix:` instance's parameter values, in matrix order (absent for a plain playbook).
        var parameters: [MatrixParameter]?
        var seed: String?
        var verdict: Verdict
        var message: String?
        var startedNanoseconds: UInt64
        var endedNanoseconds: UInt64
        var durationNanoseconds: Int64
        var durationMilliseconds: Double
        var assertionsPassed: Int
        var assertionsTotal: Int
        var timers: [Timer]
        var steps: [Step]
        var assertions: [Assertion]
        var observations: [Observation]
        var probes: [Probe]
        /// The run plan's operations the backend executed, in order (absent when not recorded).
        var operations: [String]?
        /// The packet captures: name, pcapng interface name, filter, received, kernel and
        /// interface drops, frames written, clock error, file (absent when none was declared).
        var captures: [CaptureRecord]?

        init(_ playbook: PlaybookRecord) {
            let start = playbook.started
            name = playbook.name
            file = playbook.file
            parameters = playbook.parameters
            seed = playbook.seed
            verdict = playbook.verdict
            message = playbook.message
            startedNanoseconds = playbook.started.nanoseconds
            endedNanoseconds = playbook.ended.nanoseconds
            durationNanoseconds = ReportText.span(from: playbook.started, to: playbook.ended)
            durationMilliseconds = milliseconds(durationNanoseconds)
            assertionsPassed = playbook.assertions.filter { $0.verdict == .passed }.count
            assertionsTotal = playbook.assertions.count
            timers = playbook.timers.map { Timer(name: $0.name, milliseconds: $0.milliseconds) }
            steps = playbook.steps.map { Step($0, start: start) }
            assertions = playbook.assertions.map { Assertion($0, start: start) }
            observations = playbook.observations.map { Observation($0, start: start) }
            probes = playbook.probes.map { Probe($0, playbook: playbook) }
            operations = playbook.operations
            captures = playbook.captures
        }
    }

    /// A probe time figure: value, method, resolution, in nanoseconds and milliseconds.
    struct ProbeTime: Encodable {
        var nanoseconds: Int64
        var milliseconds: Double
        var method: String
        var resolutionNanoseconds: Int64
        var resolutionMilliseconds: Double
        /// The outage had not ended when the stream stopped: the value is a lower bound.
        var lowerBound: Bool

        init(_ time: ProbeTimeRecord) {
            nanoseconds = time.nanoseconds
            milliseconds = JSONReport.milliseconds(time.nanoseconds)
            method = time.method
            resolutionNanoseconds = time.resolutionNanoseconds
            resolutionMilliseconds = JSONReport.milliseconds(time.resolutionNanoseconds)
            lowerBound = time.lowerBound
        }
    }

    struct ProbeWindow: Encodable {
        /// 0-based step index, and the 1-based number reports show.
        var stepIndex: Int
        var step: Int
        var stepText: String
        /// failover, reversion or change.
        var kind: String
        var sentPackets: Int
        var receivedPackets: Int
        var lostPackets: Int
        var duplicatedPackets: Int
        var reorderedPackets: Int
        var sendErrors: Int
        var lossPeriodCount: Int
        var timestampMethod: ProbeTime
        var lossMethod: ProbeTime
        var recovered: Bool
        var additiveBackupDelay: ProbeTime?
        /// False: the probe was not sending across the whole window; the figures measure nothing.
        var measured: Bool?
        var unmeasuredReason: String?
        var senderMaxLatenessNanoseconds: Int64?

        init(_ window: ProbeWindowRecord, playbook: PlaybookRecord) {
            stepIndex = window.stepIndex
            step = window.stepIndex + 1
            stepText = ProbeText.stepText(window, playbook: playbook)
            kind = window.kind
            sentPackets = window.sent
            receivedPackets = window.received
            lostPackets = window.lost
            duplicatedPackets = window.duplicated
            reorderedPackets = window.reordered
            sendErrors = window.sendErrors
            lossPeriodCount = window.lossPeriodCount
            timestampMethod = ProbeTime(window.timestampTime)
            lossMethod = ProbeTime(window.lossTime)
            recovered = window.recovered
            additiveBackupDelay = window.additiveBackupDelay.map(ProbeTime.init)
            measured = window.measured
            unmeasuredReason = window.unmeasuredReason
            senderMaxLatenessNanoseconds = window.senderMaxLatenessNanoseconds
        }
    }

    struct ProbeWitness: Encodable {
        var tool: String
        var file: String
        var interface: String
        var matchingPackets: Int
        var uniqueSequences: Int
        var largestGapNanoseconds: Int64?
        var largestGapMilliseconds: Double?
        var droppedByKernel: Int?
        var toleranceNanoseconds: Int64
        var receivedAgrees: Bool
        var outageAgrees: Bool
        var agrees: Bool
        var detail: String
        var windowsAgree: Bool?
        var windowLoss: [ProbeWitnessWindow]?

        init(_ witness: ProbeWitnessRecord) {
            tool = witness.tool
            file = witness.file
            interface = witness.interface
            matchingPackets = witness.matching
            uniqueSequences = witness.uniqueSequences
            largestGapNanoseconds = witness.largestGapNanoseconds
            largestGapMilliseconds = witness.largestGapNanoseconds.map(JSONReport.milliseconds)
            droppedByKernel = witness.droppedByKernel
            toleranceNanoseconds = witness.toleranceNanoseconds
            receivedAgrees = witness.receivedAgrees
            outageAgrees = witness.outageAgrees
            agrees = witness.agrees
            detail = witness.detail
            windowsAgree = witness.windowsAgree
            windowLoss = witness.windowLoss
        }
    }

    struct Probe: Encodable {
        var probe: String
        var direction: String
        var from: String
        var to: String
        var sourceAddress: String?
        var destinationAddress: String
        var port: Int
        var streamID: UInt32
        var ratePacketsPerSecond: Int
        var intervalNanoseconds: Int64
        var sentPackets: Int
        var receivedPackets: Int
        var lostPackets: Int
        var duplicatedPackets: Int
        var reorderedPackets: Int
        var sendErrors: Int
        var receiverDrops: Int
        var lossPeriodCount: Int
        var lossPeriodMinPackets: Int?
        var lossPeriodMaxPackets: Int?
        var lostBeforeFirstFault: Int
        var windows: [ProbeWindow]
        var witness: ProbeWitness?
        var measurementError: String?
        var timestamping: String
        /// The sender's largest lateness behind its schedule, packets sent over one interval late,
        /// and the bound beyond which verdicts on the probe are errored.
        var senderMaxLatenessNanoseconds: Int64?
        var senderMaxLatenessMilliseconds: Double?
        var senderLatePackets: Int?
        var senderLatenessBoundNanoseconds: Int64?
        /// A probe to a CARP group's VIP: the packets each member received (absent otherwise).
        var receivedByMember: [String: Int]?

        init(_ probe: ProbeRecord, playbook: PlaybookRecord) {
            self.probe = probe.probe
            direction = probe.direction
            from = probe.from
            to = probe.to
            sourceAddress = probe.sourceAddress
            destinationAddress = probe.destinationAddress
            port = probe.port
            streamID = probe.streamID
            ratePacketsPerSecond = probe.rate
            intervalNanoseconds = probe.intervalNanoseconds
            sentPackets = probe.sent
            receivedPackets = probe.received
            lostPackets = probe.lost
            duplicatedPackets = probe.duplicated
            reorderedPackets = probe.reordered
            sendErrors = probe.sendErrors
            receiverDrops = probe.receiverDrops
            lossPeriodCount = probe.lossPeriodCount
            lossPeriodMinPackets = probe.lossPeriodMinLength
            lossPeriodMaxPackets = probe.lossPeriodMaxLength
            lostBeforeFirstFault = probe.lostBeforeFirstFault
            windows = probe.windows.map { ProbeWindow($0, playbook: playbook) }
            witness = probe.witness.map(ProbeWitness.init)
            measurementError = probe.measurementError
            timestamping = probe.timestamping
            senderMaxLatenessNanoseconds = probe.senderMaxLatenessNanoseconds
            senderMaxLatenessMilliseconds = probe.senderMaxLatenessNanoseconds.map(JSONReport.milliseconds)
            senderLatePackets = probe.senderLatePackets
            senderLatenessBoundNanoseconds = probe.senderLatenessBoundNanoseconds
            if let hosts = probe.memberHosts, let counts = probe.receivedByMember, hosts.count == counts.count {
                receivedByMember = Dictionary(zip(hosts, counts), uniquingKeysWith: +)
            }
        }
    }

    struct Timer: Encodable {
        var name: String
        var milliseconds: Int
    }

    struct Step: Encodable {
        var index: Int
        /// 1-based, as the other reports show it.
        var number: Int
        var text: String
        var location: Location?
        var startedNanoseconds: UInt64
        var startedOffsetMilliseconds: Double
        var endedNanoseconds: UInt64
        var durationMilliseconds: Double
        var acknowledgedNanoseconds: UInt64?
        /// Acknowledgement minus step start.
        var acknowledgedAfterMilliseconds: Double?
        var verdict: Verdict
        var message: String?
        /// A `set` step's option as read back from the kernel after it was accepted.
        var readBack: String?

        init(_ step: StepRecord, start: MonotonicInstant) {
            index = step.index
            number = step.index + 1
            text = step.text
            location = Location(step.location)
            startedNanoseconds = step.started.nanoseconds
            startedOffsetMilliseconds = milliseconds(ReportText.span(from: start, to: step.started))
            endedNanoseconds = step.ended.nanoseconds
            durationMilliseconds = milliseconds(ReportText.span(from: step.started, to: step.ended))
            acknowledgedNanoseconds = step.acknowledged?.nanoseconds
            acknowledgedAfterMilliseconds = step.acknowledged.map {
                milliseconds(ReportText.span(from: step.started, to: $0))
            }
            verdict = step.verdict
            message = step.message
            readBack = step.readBack
        }
    }

    struct Deadline: Encodable {
        var nanoseconds: Int64
        var milliseconds: Double
        var source: String
        var allowanceNanoseconds: Int64
        var allowanceMilliseconds: Double

        init(_ deadline: DeadlineRecord) {
            nanoseconds = deadline.nanoseconds
            milliseconds = JSONReport.milliseconds(deadline.nanoseconds)
            source = deadline.source
            allowanceNanoseconds = deadline.allowanceNanoseconds
            allowanceMilliseconds = JSONReport.milliseconds(deadline.allowanceNanoseconds)
        }
    }

    struct Assertion: Encodable {
        var stepIndex: Int
        var stepNumber: Int
        var description: String
        var expected: String
        var actual: String
        var verdict: Verdict
        var deadline: Deadline?
        var satisfiedAtNanoseconds: UInt64?
        /// Satisfied minus assertion start: how long the condition took to hold.
        var satisfiedAfterMilliseconds: Double?
        var startedNanoseconds: UInt64
        var startedOffsetMilliseconds: Double
        var endedNanoseconds: UInt64
        var durationMilliseconds: Double
        var location: Location?
        var message: String?
        /// Expected vs actual in one line, as the text reports print it.
        var outcome: String

        init(_ assertion: AssertionRecord, start: MonotonicInstant) {
            stepIndex = assertion.stepIndex
            stepNumber = assertion.stepIndex + 1
            description = assertion.description
            expected = assertion.expected
            actual = assertion.actual
            verdict = assertion.verdict
            deadline = assertion.deadline.map(Deadline.init)
            satisfiedAtNanoseconds = assertion.satisfiedAt?.nanoseconds
            satisfiedAfterMilliseconds = assertion.satisfiedAt.map {
                milliseconds(ReportText.span(from: assertion.started, to: $0))
            }
            startedNanoseconds = assertion.started.nanoseconds
            startedOffsetMilliseconds = milliseconds(ReportText.span(from: start, to: assertion.started))
            endedNanoseconds = assertion.ended.nanoseconds
            durationMilliseconds = milliseconds(ReportText.span(from: assertion.started, to: assertion.ended))
            location = Location(assertion.location)
            message = assertion.message
            outcome = ReportText.outcome(assertion)
        }
    }

    struct Observation: Encodable {
        var timeNanoseconds: UInt64
        var offsetMilliseconds: Double
        var host: String
        var interface: String
        var kind: String
        var detail: String

        init(_ observation: ObservationRecord, start: MonotonicInstant) {
            timeNanoseconds = observation.time.nanoseconds
            offsetMilliseconds = milliseconds(ReportText.span(from: start, to: observation.time))
            host = observation.host
            interface = observation.interface
            kind = observation.kind
            detail = observation.detail
        }
    }

    /// Nanoseconds as milliseconds rounded to the microsecond (exactly representable text).
    static func milliseconds(_ nanoseconds: Int64) -> Double {
        Double(ReportText.decimal(nanoseconds, divisor: 1_000_000, decimals: 3, trim: true)) ?? 0
    }
}
