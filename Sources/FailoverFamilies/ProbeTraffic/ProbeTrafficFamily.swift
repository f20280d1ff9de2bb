public import FailoverCore
public import FailoverModel
public import FailoverPlaybook

/// Probe traffic: loss, outage and reordering measured by a traffic probe over a scope. The
/// arithmetic is in FailoverProbe (ProbeAnalysis+Assertions.swift), reached through
/// `TrafficProbes.evaluate`. Decoded in ProbeTrafficDecoding.swift.
public struct ProbeTrafficFamily: Family, AssertionFamily {
    public init() {}

    public var name: String { "probe_traffic" }
    public var assertionEntries: [AssertionEntry] { PlaybookDecoder.probeTrafficAssertions }
    public var checkers: [any StepChecker] { [PlaybookDecoder.probeTrafficChecker] }
    public var evaluators: [AssertionFamilyID: any AssertionFamily] { [.probeTraffic: self] }

    public func readsTimeline(_ assertion: Assertion) -> Bool { false }

    public func check(_ assertion: Assertion, sources: AssertionSources) async throws -> Check {
        guard let probes = sources.probes else {
            return Check(holds: false, actual: "n/a", error: "probe assertion evaluated as an interface assertion")
        }
        let evaluation = try await probes(assertion)
        return Check(holds: evaluation.holds, actual: evaluation.actual, error: evaluation.measurementError)
    }

    public func planLook(_ assertion: Assertion, plan: PlanContext) -> String {
        PlanRenderer.comment("(measured by the probe)")
    }
}
