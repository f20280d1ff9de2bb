import FailoverCore
import FailoverFamilies
import FailoverModel
import Logging

/// Tests run playbooks as `failover` does: with the standard families' evaluators.
extension PlaybookRunner {
    init(
        backend: any NetworkBackend, probes: (any TrafficProbes)? = nil, clock: any MonotonicClock,
        timing: TimingPolicy = .exact, logger: Logger
    ) {
        self.init(
            backend: backend, probes: probes, clock: clock, timing: timing, logger: logger,
            families: StandardFamilies.evaluators)
    }
}

/// Tests check assertions as the runner does: with the standard families' evaluators.
extension AssertionEvaluator {
    static func check(
        _ assertion: Assertion, state: @escaping (InterfaceRef) async throws -> InterfaceState
    ) async throws -> Check {
        try await check(assertion, families: StandardFamilies.evaluators, state: state)
    }
}

extension Timeline {
    func check(_ assertion: Assertion, at instant: MonotonicInstant) async throws -> Check {
        try await check(assertion, at: instant, families: StandardFamilies.evaluators)
    }
}
