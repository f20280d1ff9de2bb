public import FailoverCore
public import FailoverModel
public import FailoverPlaybook
public import Logging

// Loading, planning, running and checking as `failover` does: with the standard families. The
// explicit forms (`registry:`, `families:`) stay for a tool that brings its own families.

extension PlaybookLoader {
    public static func load(contentsOf path: String) throws -> LoadedPlaybook {
        try load(contentsOf: path, registry: StandardFamilies.decoding)
    }

    public static func loadInstances(contentsOf path: String) throws -> [LoadedPlaybook] {
        try loadInstances(contentsOf: path, registry: StandardFamilies.decoding)
    }

    public static func load(yaml: String, file: String) throws -> LoadedPlaybook {
        try load(yaml: yaml, file: file, registry: StandardFamilies.decoding)
    }

    public static func loadInstances(yaml: String, file: String) throws -> [LoadedPlaybook] {
        try loadInstances(yaml: yaml, file: file, registry: StandardFamilies.decoding)
    }
}

extension PlanRenderer {
    public static func render(_ playbook: Playbook, names: RunNames) -> String {
        render(playbook, names: names, families: StandardFamilies.evaluators)
    }
}

extension PlaybookRunner {
    public init(
        backend: any NetworkBackend, probes: (any TrafficProbes)? = nil, clock: any MonotonicClock,
        timing: TimingPolicy = .exact, logger: Logger
    ) {
        self.init(
            backend: backend, probes: probes, clock: clock, timing: timing, logger: logger,
            families: StandardFamilies.evaluators)
    }
}

extension AssertionEvaluator {
    public static func check(
        _ assertion: Assertion, state: @escaping (InterfaceRef) async throws -> InterfaceState
    ) async throws -> Check {
        try await check(assertion, families: StandardFamilies.evaluators, state: state)
    }
}

extension Timeline {
    public func check(_ assertion: Assertion, at instant: MonotonicInstant) async throws -> Check {
        try await check(assertion, at: instant, families: StandardFamilies.evaluators)
    }
}
