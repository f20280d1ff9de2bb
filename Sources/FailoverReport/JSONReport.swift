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

        init(_ playbook: PlaybookRecord) {
            let start = playbook.started
            name = playbook.name
            file = playbook.file
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
