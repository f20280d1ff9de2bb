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
    /// How often a pending assertion read from the kernel on demand (not on the timeline) is read again.
    public static let pollInterval: Duration = .milliseconds(100)
    public var backend: any NetworkBackend
    public var probes: (any TrafficProbes)?
    public var clock: any MonotonicClock
    public var timing: TimingPolicy
    public var logger: Logger
    /// The evaluators of the assertion families (FailoverFamilies' `StandardFamilies.evaluators`).
    public var families: AssertionFamilies
    /// The playbook's packet captures (nil: the playbook declares none, or no engine is given).
    public var captures: (any PacketCaptures)?

    public init(
        backend: any NetworkBackend, probes: (any TrafficProbes)? = nil, clock: any MonotonicClock,
        timing: TimingPolicy = .exact, logger: Logger, families: AssertionFamilies,
        captures: (any PacketCaptures)? = nil
    ) {
        self.families = families
        self.captures = captures
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
        let plan = RunPlanCompiler.compile(playbook, names: names)

        do {
            logger.info("building topology")
            try await backend.build(plan, log: log)
            let autoProbes = playbook.probes.filter(\.autoStart).map(\.name)
            if !autoProbes.isEmpty {
                guard let probes else {
                    throw BackendError(operation: "start probes", object: playbook.name, detail: "no probe engine")
                }
                try await probes.start(autoProbes)
            }
            if !playbook.captures.isEmpty {
                guard let captures else {
                    throw BackendError(operation: "start captures", object: playbook.name, detail: "no capture engine")
                }
                try await captures.start(playbook.captures)
            }
            try await runSteps(playbook, plan: plan, log: log, state: &state, logger: logger)
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
        let captures = self.captures
        let hasCaptures = !playbook.captures.isEmpty
        let faults = state.faults
        let teardown = Task {
            let records = await probes?.finish(faults: faults) ?? []
            // Captures stop while their namespaces still exist (statistics, interface drops).
            let captured = hasCaptures ? await captures?.finish() : nil
            let problems = (captured?.problems ?? []) + (await backend.teardown())
            return (records, captured?.records, problems, await backend.executedOperations())
        }
        let (probeRecords, captureRecords, problems, executed) = await teardown.value
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
            assertions: state.assertions, observations: log.records, probes: probeRecords,
            parameters: playbook.parameters, operations: executed?.map(\.description), captures: captureRecords)
    }

    struct RunState {
        var steps: [StepRecord] = []
        var assertions: [AssertionRecord] = []
        var faults: [FaultMark] = []
        var errorMessage: String?
    }

    private func runSteps(
        _ playbook: Playbook, plan: RunPlan, log: ObservationLog, state: inout RunState, logger: Logger
    ) async throws {
        for (index, step) in playbook.steps.enumerated() {
            try Task.checkCancellation()
            let started = clock.now()
            logger.debug("step \(index + 1): \(step.action)")
            switch step.action {
            case .expect(let expectations):
                let records = try await check(
                    expectations, stepIndex: index, origin: started, playbook: playbook, log: log,
                    faults: state.faults)
                var worst = Verdict.passed
                for record in records {
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
            default:
                // Every other step is a fault step (it has a polarity); its operations come from
                // the run plan, so a new fault kind needs no case here.
                guard let polarity = step.action.faultPolarity else {
                    throw BackendError(
                        operation: "run step", object: "step \(index + 1)",
                        detail: "\(step.action) is neither a fault, a wait, probe control nor an assertion")
                }
                // The fault window opens when the request is sent: the kernel may apply the
                // change (and traffic may stop) before its acknowledgement is read.
                state.faults.append(FaultMark(stepIndex: index, at: started, polarity: polarity))
                if !playbook.captures.isEmpty {
                    await captures?.mark("step \(index + 1): \(step.action)", at: started)
                }
                if case .set(let bond, let option, let value, let expected?) = step.action {
                    try await performExpectingRefusal(
                        step, operations: plan.steps[index].operations, index: index, started: started, bond: bond,
                        option: option, value: value,
                        expected: expected, state: &state, logger: logger)
                    continue
                }
                do {
                    let acknowledged = try await backend.perform(plan.steps[index].operations)
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
        _ step: Step, operations: [PlannedOperation], index: Int, started: MonotonicInstant, bond: InterfaceRef,
        option: String, value: String,
        expected: String, state: inout RunState, logger: Logger
    ) async throws {
        let shown = value.isEmpty ? "\"\"" : value
        var verdict = Verdict.failed
        var actual: String
        var acknowledged: MonotonicInstant?
        var readBack: String?
        var satisfiedAt: MonotonicInstant?
        do {
            acknowledged = try await backend.perform(operations)
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

    /// Checks the members of one `expect` step, concurrently, all measured from `origin` (the
    /// start of the step). Interface conditions are decided on the observation timeline (the
    /// instant a condition became true is the timestamp of the record that made it true), after
    /// a barrier that puts every earlier kernel event in the log; static properties and probe
    /// figures are read when the loop wakes (at the start, after each observation, at deadlines).
    func check(
        _ expectations: [Expectation], stepIndex: Int, origin: MonotonicInstant, playbook: Playbook,
        log: ObservationLog, faults: [FaultMark]
    ) async throws -> [AssertionRecord] {
        let members = expectations.map { member(for: $0, stepIndex: stepIndex, origin: origin, playbook: playbook) }
        var results: [AssertionRecord?] = members.map(\.invalid)
        // The records in the log once the first barrier is through are the state at the origin:
        // their events were emitted before it (a fault step's change is emitted before its
        // acknowledgement, but its record may be stamped at receipt, just after the origin).
        var settled: Int?
        while results.contains(where: { $0 == nil }) {
            let seen = log.count
            let horizon = clock.now()
            var barrierError: String?
            do {
                try await backend.synchronize()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                barrierError = "observation barrier: \(error)"
            }
            let records = log.records
            if settled == nil { settled = records.count }
            let timeline = Timeline(records, origin: origin, settled: settled ?? 0)
            for (index, member) in members.enumerated() where results[index] == nil {
                if let barrierError, member.fromTimeline {
                    results[index] = member.record(
                        .errored, actual: "unknown", at: nil, message: barrierError, stepIndex: stepIndex,
                        ended: clock.now())
                    continue
                }
                results[index] = try await decide(
                    member, timeline: timeline, horizon: horizon, stepIndex: stepIndex, log: log, faults: faults,
                    topology: playbook.topology)
            }
            let pending = members.indices.filter { results[$0] == nil }
            guard let deadline = pending.map({ members[$0].end }).min() else { break }
            // Kernel facts read on demand (not on the timeline: neighbours, fdb, LACP) change without
            // a link event: read them again every poll interval until their deadline.
            let polled = pending.contains { !members[$0].fromTimeline }
            let next = polled ? min(deadline, clock.now().advanced(by: Self.pollInterval)) : deadline
            // Wait for the next kernel event, poll or deadline, whichever comes first.
            let clock = self.clock
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await log.waitForRecord(after: seen) }
                group.addTask { try await clock.sleep(until: next) }
                _ = try await group.next()
                group.cancelAll()
            }
            try Task.checkCancellation()
        }
        // A deadline missed: say when it came true after all, if the log already shows it.
        let timeline = Timeline(log.records, origin: origin, settled: settled ?? 0)
        for (index, member) in members.enumerated() {
            guard var record = results[index], record.verdict == .failed, record.satisfiedAt == nil,
                member.fromTimeline,
                member.deadline != nil
            else { continue }
            let assertion = member.expectation.assertion
            for point in timeline.changeTimes(
                of: Timeline.interfaces(of: assertion), after: member.end, through: MonotonicInstant(nanoseconds: .max))
            {
                let later = try await timeline.check(assertion, at: point, families: families)
                guard later.holds else { continue }
                record.satisfiedAt = point
                record.message = "became \(later.actual) \(member.elapsed(point)); \(deadlineText(member))"
                results[index] = record
                break
            }
        }
        return results.compactMap { $0 }
    }

    /// One member of an `expect` list with its bounds on the run's clock.
    struct Member {
        var expectation: Expectation
        var origin: MonotonicInstant
        /// Lower bound (`not_before`).
        var notBefore: MonotonicInstant?
        /// Deadline (`within`), end of the window (`throughout`/`never`), or the origin.
        var end: MonotonicInstant
        var deadline: DeadlineRecord?
        var timing: AssertionTimingRecord
        var fromTimeline: Bool
        /// Set when the member cannot be evaluated at all (decided before the loop).
        var invalid: AssertionRecord?

        func record(
            _ verdict: Verdict, actual: String, at: MonotonicInstant?, message: String?, stepIndex: Int,
            ended: MonotonicInstant
        ) -> AssertionRecord {
            AssertionRecord(
                stepIndex: stepIndex, description: expectation.description,
                expected: expectation.assertion.expectedText, actual: actual, verdict: verdict, deadline: deadline,
                satisfiedAt: at, started: origin, ended: ended, location: expectation.location, message: message,
                timing: timing)
        }

        /// `after 345ms` (or `at the start of the step`) for an instant of the timeline.
        func elapsed(_ instant: MonotonicInstant) -> String {
            instant <= origin
                ? "at the start of the step"
                : "after \(formatMilliseconds(instant.duration(since: origin).milliseconds))"
        }
    }

    private func member(
        for expectation: Expectation, stepIndex: Int, origin: MonotonicInstant, playbook: Playbook
    ) -> Member {
        let assertion = expectation.assertion
        let fromTimeline = families.family(of: assertion).readsTimeline(assertion)
        var member = Member(
            expectation: expectation, origin: origin, notBefore: expectation.notBefore.map { origin.advanced(by: $0) },
            end: origin, deadline: nil,
            timing: AssertionTimingRecord(
                mode: "immediate", notBeforeNanoseconds: expectation.notBefore?.totalNanoseconds,
                fromTimeline: fromTimeline),
            fromTimeline: fromTimeline)
        switch expectation.wait {
        case .immediate:
            break
        case .within(let duration):
            member.end = origin.advanced(by: duration)
            member.timing.mode = "within"
            member.deadline = DeadlineRecord(
                nanoseconds: duration.totalNanoseconds, source: "playbook", allowanceNanoseconds: 0)
        case .derived:
            let (base, _) =
                families.family(of: assertion).derivedDeadline(assertion, in: playbook.topology)
                ?? DerivedDeadline.deadline(for: assertion, in: playbook.topology)
            let total = base + timing.allowance
            member.end = origin.advanced(by: total)
            member.timing.mode = "within"
            member.deadline = DeadlineRecord(
                nanoseconds: total.totalNanoseconds, source: "derived",
                allowanceNanoseconds: timing.allowance.totalNanoseconds)
        case .throughout(let window), .never(let window):
            member.end = origin.advanced(by: window)
            member.timing.mode = if case .throughout = expectation.wait { "throughout" } else { "never" }
            member.timing.windowNanoseconds = window.totalNanoseconds
        }
        if let notBefore = member.notBefore, notBefore >= member.end, let lower = expectation.notBefore {
            // Only a derived deadline can get here (the loader rejects the rest).
            member.invalid = member.record(
                .errored, actual: "not checked", at: nil,
                message:
                    "not_before \(lower.playbookText) is not shorter than the deadline"
                    + " \(formatMilliseconds(member.end.duration(since: origin).milliseconds))",
                stepIndex: stepIndex, ended: origin)
        }
        return member
    }

    /// Decides `member` from what is known up to `horizon` (every record stamped at or before it
    /// is in `timeline`); nil while it cannot be decided yet.
    private func decide(
        _ member: Member, timeline: Timeline, horizon: MonotonicInstant, stepIndex: Int, log: ObservationLog,
        faults: [FaultMark], topology: Topology
    ) async throws -> AssertionRecord? {
        let assertion = member.expectation.assertion
        func record(_ verdict: Verdict, actual: String, at: MonotonicInstant?, message: String?) -> AssertionRecord {
            member.record(verdict, actual: actual, at: at, message: message, stepIndex: stepIndex, ended: clock.now())
        }
        guard member.fromTimeline else {
            // A static property or a probe figure: read now; it counts only if read by the deadline.
            let readAt = clock.now()
            let result: Check
            do {
                result = try await evaluate(
                    assertion, stepIndex: stepIndex, faults: faults, log: log, topology: topology,
                    stepStarted: member.origin)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                return record(.errored, actual: "unknown", at: nil, message: "\(error)")
            }
            if let error = result.error { return record(.errored, actual: result.actual, at: nil, message: error) }
            // An immediate member is decided by its first read, made at the start of the step.
            let immediate = member.expectation.wait == .immediate
            // A capture check says when what it saw happened (a frame, a window's end).
            let heldAt = result.at ?? readAt
            if result.holds, heldAt <= member.end || immediate {
                return record(.passed, actual: result.actual, at: heldAt, message: nil)
            }
            if immediate { return record(.failed, actual: result.actual, at: nil, message: nil) }
            if result.holds {
                return record(
                    .failed, actual: result.actual, at: heldAt,
                    message: "held when read \(member.elapsed(heldAt)); \(deadlineText(member))")
            }
            guard readAt >= member.end else { return nil }
            return record(.failed, actual: result.actual, at: nil, message: nil)
        }

        let refs = Timeline.interfaces(of: assertion)
        if let failure = timeline.observerFailure(on: refs) {
            return record(.errored, actual: "unknown", at: nil, message: "observer failed: \(failure)")
        }
        let through = min(horizon, member.end)
        var points = [member.origin]
        points += timeline.changeTimes(of: refs, after: member.origin, through: through)
        for point in points {
            let check = try await timeline.check(assertion, at: point, families: families)
            if let error = check.error { return record(.errored, actual: check.actual, at: nil, message: error) }
            switch member.expectation.wait {
            case .immediate, .within, .derived:
                guard check.holds else { continue }
                if let lower = member.notBefore, point < lower {
                    return try await confirmed(
                        member,
                        record(
                            .failed, actual: check.actual, at: point,
                            message:
                                "held \(member.elapsed(point)); not before \(formatMilliseconds(lower.duration(since: member.origin).milliseconds))"
                        ), timeline: timeline, log: log)
                }
                return try await confirmed(
                    member, record(.passed, actual: check.actual, at: point, message: nil), timeline: timeline, log: log
                )
            case .throughout:
                guard !check.holds else { continue }
                return try await confirmed(
                    member,
                    record(
                        .failed, actual: check.actual, at: point,
                        message: "broken \(member.elapsed(point)); must hold for \(windowText(member))"),
                    timeline: timeline, log: log)
            case .never:
                guard check.holds else { continue }
                return try await confirmed(
                    member,
                    record(
                        .failed, actual: check.actual, at: point,
                        message: "held \(member.elapsed(point)); must not hold for \(windowText(member))"),
                    timeline: timeline, log: log)
            }
        }
        // Nothing decided on [origin, through]: wait unless the whole bound is known.
        guard horizon >= member.end else { return nil }
        let atEnd = try await timeline.check(assertion, at: member.end, families: families)
        switch member.expectation.wait {
        case .throughout, .never:
            return try await confirmed(
                member, record(.passed, actual: atEnd.actual, at: nil, message: nil), timeline: timeline, log: log)
        case .immediate:
            return try await confirmed(
                member, record(.failed, actual: atEnd.actual, at: nil, message: nil), timeline: timeline, log: log)
        case .within, .derived:
            // `check(...)` adds when it came true after the deadline, once the step is over.
            return try await confirmed(
                member, record(.failed, actual: atEnd.actual, at: nil, message: nil),
                timeline: timeline, log: log)
        }
    }

    private func deadlineText(_ member: Member) -> String {
        guard let deadline = member.deadline else { return "checked at the start of the step" }
        let ms = formatMilliseconds(Double(deadline.nanoseconds) / 1e6)
        return deadline.source == "playbook" ? "deadline \(ms)" : "deadline \(ms) (\(deadline.source))"
    }

    private func windowText(_ member: Member) -> String {
        formatMilliseconds(member.end.duration(since: member.origin).milliseconds)
    }

    /// Cross-checks a timeline verdict against the kernel: after a barrier, the log's current
    /// value must be what the kernel reports now. A disagreement makes the verdict *errored*.
    private func confirmed(
        _ member: Member, _ verdict: AssertionRecord, timeline: Timeline, log: ObservationLog
    ) async throws -> AssertionRecord {
        let assertion = member.expectation.assertion
        let refs = Timeline.interfaces(of: assertion)
        var result = verdict
        for _ in 0..<5 {
            let readAt = clock.now()
            let kernel: Check
            do {
                let backend = self.backend
                kernel = try await AssertionEvaluator.check(assertion, families: families) {
                    try await backend.state(of: $0)
                }
                try await backend.synchronize()
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                result.verdict = .errored
                result.message = "cross-check with the kernel: \(error)"
                return result
            }
            let now = Timeline(log.records)
            // A change around the read is not a disagreement: read again.
            if !now.changeTimes(of: refs, after: readAt, through: MonotonicInstant(nanoseconds: .max)).isEmpty {
                continue
            }
            let logged = try await now.check(assertion, at: MonotonicInstant(nanoseconds: .max), families: families)
            if logged.actual != kernel.actual || logged.holds != kernel.holds || logged.error != kernel.error {
                result.verdict = .errored
                result.message =
                    "observer and kernel disagree: the log says \(logged.actual), the kernel \(kernel.actual)"
                    + (verdict.message.map { "; \($0)" } ?? "")
            }
            result.ended = clock.now()
            return result
        }
        logger.debug("no cross-check: \(assertion.subject) kept changing while read")
        return result
    }

    private func evaluate(
        _ assertion: Assertion, stepIndex: Int, faults: [FaultMark], log: ObservationLog, topology: Topology,
        stepStarted: MonotonicInstant
    ) async throws -> Check {
        let backend = self.backend
        let captures = self.captures
        let clock = self.clock
        var sources = AssertionSources(
            state: { try await backend.state(of: $0) },
            probes: { try await requireProbes().evaluate($0, stepIndex: stepIndex, faults: faults) },
            neighbours: { try await backend.neighbours(of: $0) },
            observations: {
                try await backend.synchronize()
                return log.records
            }, topology: topology,
            captures: { assertion in
                guard let captures else {
                    throw BackendError(operation: "capture check", object: "captures", detail: "no capture engine")
                }
                var mac: MACAddress?
                if case .frames(_, let match, _, _, _) = assertion { mac = try await Self.resolve(match, backend) }
                if case .firstFrame(_, let match, _) = assertion { mac = try await Self.resolve(match, backend) }
                return try await captures.evaluate(
                    assertion, faults: faults, stepStarted: stepStarted, now: clock.now(), sourceMAC: mac)
            },
            forwarding: { try await backend.forwardingEntries(of: $0) },
            lacp: { try await backend.lacpStatus(of: $0) })
        sources.lastFault = faults.last?.at
        return try await families.family(of: assertion).check(assertion, sources: sources)
    }

    /// The MAC a frame pattern's `same_as` / `permanent_of` names, read from the kernel now.
    static func resolve(_ match: FrameMatch, _ backend: any NetworkBackend) async throws -> MACAddress? {
        switch match.sourceMAC {
        case nil: return nil
        case .literal(let mac): return mac
        case .sameAs(let ref):
            guard let mac = try await backend.state(of: ref).mac else {
                throw BackendError(operation: "capture check", object: "\(ref)", detail: "has no MAC (missing?)")
            }
            return mac
        case .permanentOf(let ref):
            let state = try await backend.state(of: ref)
            guard let mac = state.slave?.permanentMAC ?? state.permanentMAC else {
                throw BackendError(operation: "capture check", object: "\(ref)", detail: "no permanent MAC known")
            }
            return mac
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
