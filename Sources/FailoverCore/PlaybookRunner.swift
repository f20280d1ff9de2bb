public import FailoverModel
public import Logging

/// How a run treats time.
public struct TimingPolicy: Sendable, Hashable {
    /// Added to deadlines derived from timers (`within: auto`) — never to deadlines written in
    /// the playbook. Non-zero only where timing is documented to be unreliable (TCG).
    public var allowance: Duration
    public var allowanceReason: String?

    public init(allowance: Duration = .zero, allowanceReason: String? = nil) {
        self.allowance = allowance
        self.allowanceReason = allowanceReason
    }

    public static let exact = TimingPolicy()
}

/// Runs one playbook against a backend: build, steps in order, assertions with condition
/// waiting, teardown in every case. Produces the `PlaybookRecord` the reports are made of.
public struct PlaybookRunner: Sendable {
    public var backend: any NetworkBackend
    public var probes: (any TrafficProbes)?
    public var clock: any MonotonicClock
    public var timing: TimingPolicy
    public var logger: Logger

    public init(
        backend: any NetworkBackend, probes: (any TrafficProbes)? = nil, clock: any MonotonicClock,
        timing: TimingPolicy = .exact, logger: Logger
    ) {
        self.backend = backend
        self.probes = probes
        self.clock = clock
        self.timing = timing
        self.logger = logger
    }

    /// Runs `playbook`. Never throws: every problem becomes a verdict. Teardown always runs,
    /// also when the calling task is cancelled (SIGINT).
    public func run(_ playbook: Playbook, names: RunNames) async -> PlaybookRecord {
        var logger = self.logger
        logger[metadataKey: "playbook"] = "\(playbook.name)"
        logger[metadataKey: "run.id"] = "\(names.runID)"
        let log = ObservationLog()
        let started = clock.now()
        var state = RunState()

        do {
            logger.info("building topology")
            try await backend.build(playbook, names: names, log: log)
            let autoProbes = playbook.probes.filter(\.autoStart).map(\.name)
            if !autoProbes.isEmpty {
                guard let probes else {
                    throw BackendError(operation: "start probes", object: playbook.name, detail: "no probe engine")
                }
                try await probes.start(autoProbes)
            }
            try await runSteps(playbook, log: log, state: &state, logger: logger)
        } catch is CancellationError {
            state.errorMessage = "interrupted"
        } catch {
            state.errorMessage = "\(error)"
            logger.error("\(error)")
        }
        if state.errorMessage == "interrupted" || Task.isCancelled {
            state.errorMessage = "interrupted (signal): the run was stopped and everything it built was removed"
        }
        // Teardown in an unstructured task: it must run to the end even when we are cancelled.
        let backend = self.backend
        let probes = self.probes
        let faults = state.faults
        let teardown = Task {
            let records = await probes?.finish(faults: faults) ?? []
            return (records, await backend.teardown())
        }
        let (probeRecords, problems) = await teardown.value
        for record in probeRecords {
            // An independent capture that disagrees with the probe: its figures cannot be trusted.
            if let witness = record.witness, !witness.agrees {
                let text = "witness disagrees with probe \(record.probe) (\(record.direction)): \(witness.detail)"
                state.errorMessage = state.errorMessage.map { $0 + "; " + text } ?? text
            }
        }
        if !problems.isEmpty {
            let text = "teardown: " + problems.joined(separator: "; ")
            state.errorMessage = state.errorMessage.map { $0 + "; " + text } ?? text
        }
        let ended = clock.now()

        // Steps never reached are skipped.
        for index in state.steps.count..<playbook.steps.count {
            let step = playbook.steps[index]
            state.steps.append(
                StepRecord(
                    index: index, text: step.action.description, location: step.location, started: ended,
                    ended: ended, acknowledged: nil, verdict: .skipped,
                    message: "not run: an earlier step did not pass"))
        }
        var verdict: Verdict = state.assertions.map(\.verdict).max() ?? .passed
        if state.errorMessage != nil { verdict = .errored }
        if playbook.steps.isEmpty && verdict == .passed { verdict = .skipped }
        return PlaybookRecord(
            name: playbook.name, file: playbook.file, seed: playbook.seed, verdict: verdict,
            message: state.errorMessage, started: started, ended: ended,
            timers: DerivedDeadline.timers(of: playbook.topology), steps: state.steps,
            assertions: state.assertions, observations: log.records, probes: probeRecords)
    }

    struct RunState {
        var steps: [StepRecord] = []
        var assertions: [AssertionRecord] = []
        var faults: [FaultMark] = []
        var errorMessage: String?
    }

    private func runSteps(_ playbook: Playbook, log: ObservationLog, state: inout RunState, logger: Logger)
        async throws
    {
        for (index, step) in playbook.steps.enumerated() {
            try Task.checkCancellation()
            let started = clock.now()
            logger.debug("step \(index + 1): \(step.action)")
            switch step.action {
            case .expect(let expectations):
                var worst = Verdict.passed
                for expectation in expectations {
                    let record = try await check(
                        expectation, stepIndex: index, reference: started, playbook: playbook, log: log,
                        faults: state.faults)
                    state.assertions.append(record)
                    worst = max(worst, record.verdict)
                    logger.info("\(record.verdict.rawValue): \(record.description) (actual \(record.actual))")
                }
                state.steps.append(
                    StepRecord(
                        index: index, text: step.action.description, location: step.location, started: started,
                        ended: clock.now(), acknowledged: nil, verdict: worst))
                if worst != .passed { return }
            case .hold(let duration):
                try await clock.sleep(until: started.advanced(by: duration))
                state.steps.append(
                    StepRecord(
                        index: index, text: step.action.description, location: step.location, started: started,
                        ended: clock.now(), acknowledged: nil, verdict: .passed))
            case .startProbe(let name):
                try await requireProbes().start([name])
                state.steps.append(
                    StepRecord(
                        index: index, text: step.action.description, location: step.location, started: started,
                        ended: clock.now(), acknowledged: nil, verdict: .passed))
            case .stopProbe(let name):
                try await requireProbes().stop(name)
                state.steps.append(
                    StepRecord(
                        index: index, text: step.action.description, location: step.location, started: started,
                        ended: clock.now(), acknowledged: nil, verdict: .passed))
            case .pull, .plug, .down, .up, .switchDown, .switchUp, .blackhole, .restore, .set:
                // The fault window opens when the request is sent: the kernel may apply the
                // change (and traffic may stop) before its acknowledgement is read.
                state.faults.append(FaultMark(stepIndex: index, at: started))
                if case .set(let bond, let option, let value, let expected?) = step.action {
                    try await performExpectingRefusal(
                        step, index: index, started: started, bond: bond, option: option, value: value,
                        expected: expected, state: &state, logger: logger)
                    continue
                }
                do {
                    let acknowledged = try await backend.perform(step.action)
                    var readBack: String?
                    if case .set(let bond, let option, _, _) = step.action {
                        readBack = await readBackOption(option, of: bond, logger: logger)
                    }
                    state.steps.append(
                        StepRecord(
                            index: index, text: step.action.description, location: step.location, started: started,
                            ended: clock.now(), acknowledged: acknowledged, verdict: .passed, readBack: readBack))
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    // The step's record carries the reason; the playbook's message only points at it,
                    // so reports name the step once.
                    state.steps.append(
                        StepRecord(
                            index: index, text: step.action.description, location: step.location, started: started,
                            ended: clock.now(), acknowledged: nil, verdict: .errored, message: "\(error)"))
                    throw StepErrored(stepIndex: index, location: step.location)
                }
            }
        }
    }

    /// A `set` with `expect_error`: passes when the kernel refuses it with that errno, fails when
    /// it accepts it or refuses with another errno. Either way it is an assertion of this step and
    /// the run goes on; only a failure to ask the kernel at all errors the run.
    private func performExpectingRefusal(
        _ step: Step, index: Int, started: MonotonicInstant, bond: InterfaceRef, option: String, value: String,
        expected: String, state: inout RunState, logger: Logger
    ) async throws {
        let shown = value.isEmpty ? "\"\"" : value
        var verdict = Verdict.failed
        var actual: String
        var acknowledged: MonotonicInstant?
        var readBack: String?
        var satisfiedAt: MonotonicInstant?
        do {
            acknowledged = try await backend.perform(step.action)
            readBack = await readBackOption(option, of: bond, logger: logger)
            actual =
                "accepted by the kernel"
                + (readBack.map { " (\(option) reads back \($0.isEmpty ? "\"\"" : $0))" } ?? "")
        } catch let refusal as KernelRefusal {
            actual = refusal.reason
            if KernelErrno.number(of: expected) == refusal.errno {
                verdict = .passed
                satisfiedAt = clock.now()
            } else {
                actual = "refused with " + refusal.reason
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            state.steps.append(
                StepRecord(
                    index: index, text: step.action.description, location: step.location, started: started,
                    ended: clock.now(), acknowledged: nil, verdict: .errored, message: "\(error)"))
            throw StepErrored(stepIndex: index, location: step.location)
        }
        let ended = clock.now()
        let record = AssertionRecord(
            stepIndex: index, description: "the kernel refuses \(option)=\(shown) on \(bond)", expected: expected,
            actual: actual, verdict: verdict, deadline: nil, satisfiedAt: satisfiedAt, started: started, ended: ended,
            location: step.location)
        state.assertions.append(record)
        logger.info("\(verdict.rawValue): \(record.description) (actual \(actual))")
        state.steps.append(
            StepRecord(
                index: index, text: step.action.description, location: step.location, started: started, ended: ended,
                acknowledged: acknowledged, verdict: verdict, readBack: readBack))
    }

    /// The option's value as the kernel reports it right after a `set` (nil when it cannot be read:
    /// the step's verdict does not depend on it; an `option` assertion checks it).
    private func readBackOption(_ option: String, of bond: InterfaceRef, logger: Logger) async -> String? {
        do {
            return try await backend.state(of: bond).bond?.options[option]
        } catch {
            logger.warning("read back \(option) of \(bond): \(error)")
            return nil
        }
    }

    private func requireProbes() throws -> any TrafficProbes {
        guard let probes else {
            throw BackendError(operation: "probe step", object: "probes", detail: "no probe engine configured")
        }
        return probes
    }

    /// Checks one expectation. Waiting is driven by the observation log: after each kernel event
    /// the condition is re-read; no polling interval. The deadline is measured from the start
    /// of the `expect` step.
    func check(
        _ expectation: Expectation, stepIndex: Int, reference: MonotonicInstant, playbook: Playbook,
        log: ObservationLog, faults: [FaultMark]
    ) async throws -> AssertionRecord {
        let assertion = expectation.assertion
        let started = clock.now()
        var deadlineRecord: DeadlineRecord?
        var deadline = started
        switch expectation.wait {
        case .immediate:
            break
        case .within(let duration):
            deadline = reference.advanced(by: duration)
            deadlineRecord = DeadlineRecord(
                nanoseconds: duration.totalNanoseconds, source: "playbook", allowanceNanoseconds: 0)
        case .derived:
            let (base, _) = DerivedDeadline.deadline(for: assertion, in: playbook.topology)
            let total = base + timing.allowance
            deadline = reference.advanced(by: total)
            deadlineRecord = DeadlineRecord(
                nanoseconds: total.totalNanoseconds, source: "derived",
                allowanceNanoseconds: timing.allowance.totalNanoseconds)
        }

        func record(_ verdict: Verdict, actual: String, satisfiedAt: MonotonicInstant?, message: String?)
            -> AssertionRecord
        {
            AssertionRecord(
                stepIndex: stepIndex, description: expectation.description, expected: assertion.expectedText,
                actual: actual, verdict: verdict, deadline: deadlineRecord, satisfiedAt: satisfiedAt,
                started: started, ended: clock.now(), location: expectation.location, message: message)
        }

        while true {
            let seen = log.count
            let result: Check
            do {
                result = try await evaluate(assertion, stepIndex: stepIndex, faults: faults)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                return record(.errored, actual: "unknown", satisfiedAt: nil, message: "\(error)")
            }
            let now = clock.now()
            if let error = result.error {
                return record(.errored, actual: result.actual, satisfiedAt: nil, message: error)
            }
            if result.holds {
                return record(.passed, actual: result.actual, satisfiedAt: now, message: nil)
            }
            if now >= deadline {
                let message: String
                if let deadlineRecord {
                    let ms = Double(deadlineRecord.nanoseconds) / 1e6
                    message =
                        "expected \(assertion.expectedText) within \(formatMilliseconds(ms)) (\(deadlineRecord.source)),"
                        + " was \(result.actual) at the deadline"
                } else {
                    message = "expected \(assertion.expectedText), was \(result.actual)"
                }
                return record(.failed, actual: result.actual, satisfiedAt: nil, message: message)
            }
            // Wait for the next kernel event or the deadline, whichever comes first.
            let clock = self.clock
            let until = deadline
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await log.waitForRecord(after: seen) }
                group.addTask { try await clock.sleep(until: until) }
                _ = try await group.next()
                group.cancelAll()
            }
            try Task.checkCancellation()
        }
    }

    private func evaluate(_ assertion: Assertion, stepIndex: Int, faults: [FaultMark]) async throws -> Check {
        switch assertion {
        case .loss, .outage, .reordered:
            let evaluation = try await requireProbes().evaluate(assertion, stepIndex: stepIndex, faults: faults)
            return Check(holds: evaluation.holds, actual: evaluation.actual, error: evaluation.measurementError)
        default:
            let backend = self.backend
            return try await AssertionEvaluator.check(assertion) { try await backend.state(of: $0) }
        }
    }
}

/// A step errored and the run stopped there; the step's record says why.
struct StepErrored: Error, CustomStringConvertible {
    var stepIndex: Int
    var location: SourceLocation?

    var description: String { "step \(stepIndex + 1) errored; the run stopped there" }
}

func formatMilliseconds(_ ms: Double) -> String {
    if ms == ms.rounded() { return "\(Int(ms))ms" }
    return "\((ms * 10).rounded() / 10)ms"
}
