public import FailoverCore
public import FailoverModel
public import FailoverPlaybook

/// CARP peers (ucarp): faults on a peer (signals) and who holds the VIP / who is master, read from
/// the observation log: the netlink address events of every node (VIP ownership) and ucarp's
/// `Switching to state:` lines, exits and the signals we sent (mastership). Polled until `within`.
/// Decoded in CarpPeerDecoding.swift.
public struct CarpPeerFamily: Family, AssertionFamily {
    public init() {}

    public var name: String { "carp_peer" }
    public var stepEntries: [StepEntry] { PlaybookDecoder.carpPeerSteps }
    public var assertionEntries: [AssertionEntry] { PlaybookDecoder.carpPeerAssertions }
    public var checkers: [any StepChecker] { [PlaybookDecoder.carpPeerChecker] }
    public var evaluators: [AssertionFamilyID: any AssertionFamily] { [.carpPeer: self] }

    public func readsTimeline(_ assertion: Assertion) -> Bool { false }

    /// What a user-space daemon may lag behind its timers when the machine is busy: ucarp's poll
    /// wake-ups were measured up to ~0.9 s late with both cores compiling (seed-004 runs).
    public static let daemonAllowance: Duration = .seconds(1)
    /// How late ucarp may read an advert: it captures with libpcap opened with a 1000 ms timeout
    /// and no immediate mode (`CAPTURE_TIMEOUT`, ucarp 1.5.2 `src/ucarp.h`, `src/carp.c`), so on
    /// Linux a block of received frames reaches it up to 1 s after they arrived; the master-down
    /// timer restarts when the advert is read.
    public static let captureLatency: Duration = .seconds(1)

    /// `within: auto` for `vip_owner`, `master` and `orphan_vip`: the slowest member's takeover,
    /// ⌈master-down / poll⌉ × poll (`CarpGroup.takeoverNanoseconds`: ucarp checks its master-down
    /// timer, advbase × 3 + advskew/256 s, only when its poll of advbase + advskew/256 s returns),
    /// from the last advert heard, which is at or before the step's start, plus `captureLatency`
    /// (that advert may be read up to 1 s late) and `daemonAllowance`.
    /// It bounds a takeover after a master dies, stops or demotes, and a preferred node's return
    /// with preempt (it takes over at the first advert it hears, within one interval).
    public func derivedDeadline(_ assertion: Assertion, in topology: Topology) -> (Duration, String)? {
        let group: String
        switch assertion {
        case .vipOwner(let name, _), .carpMaster(let name, _), .orphanVIP(let name, _): group = name
        default: return nil
        }
        guard let carp = topology.carp.first(where: { $0.name == group }), !carp.members.isEmpty else { return nil }
        let slowest = carp.members.map(\.advskew).max() ?? 0
        let takeover = CarpGroup.takeoverNanoseconds(advbase: carp.advbase, advskew: slowest)
        let rule =
            "CARP takeover of group \(group): ⌈(3 × advbase \(carp.advbase)s + advskew \(slowest)/256 s) / "
            + "(advbase + advskew/256 s)⌉ × (advbase + advskew/256 s) + \(Self.captureLatency.playbookText) ucarp "
            + "capture latency + \(Self.daemonAllowance.playbookText) daemon allowance"
        return (.nanoseconds(takeover) + Self.captureLatency + Self.daemonAllowance, rule)
    }

    public func check(_ assertion: Assertion, sources: AssertionSources) async throws -> Check {
        guard let observations = sources.observations, let topology = sources.topology else {
            return Check(holds: false, actual: "n/a", error: "\(assertion.key): no observation log to read")
        }
        let records = try await observations()
        switch assertion {
        case .vipOwner(let group, let expected):
            guard let carp = topology.carp.first(where: { $0.name == group }) else {
                return Check(holds: false, actual: "n/a", error: "no CARP group \(group)")
            }
            let owners = CarpTimeline.owners(of: carp, in: records)
            let text = owners.isEmpty ? "none" : owners.joined(separator: ", ")
            return Check(
                holds: owners == expected.sorted(),
                actual: owners == expected.sorted() ? text : "\(text); \(CarpTimeline.ownershipText(carp, records))")
        case .carpMaster(let group, let expected):
            guard let carp = topology.carp.first(where: { $0.name == group }) else {
                return Check(holds: false, actual: "n/a", error: "no CARP group \(group)")
            }
            let masters = CarpTimeline.masters(of: carp, in: records)
            let text = masters.isEmpty ? "none" : masters.joined(separator: ", ")
            let holds = masters == (expected.map { [$0] } ?? [])
            return Check(holds: holds, actual: holds ? text : "\(text); \(CarpTimeline.ownershipText(carp, records))")
        case .orphanVIP(let group, let expected):
            guard let carp = topology.carp.first(where: { $0.name == group }) else {
                return Check(holds: false, actual: "n/a", error: "no CARP group \(group)")
            }
            let orphans = CarpTimeline.orphans(of: carp, in: records)
            let text = orphans.isEmpty ? "none" : orphans.joined(separator: ", ")
            let holds = orphans == expected.sorted()
            return Check(holds: holds, actual: holds ? text : "\(text); \(CarpTimeline.ownershipText(carp, records))")
        case .singleMaster(let group, let scope), .splitBrain(let group, let scope):
            guard let carp = topology.carp.first(where: { $0.name == group }) else {
                return Check(holds: false, actual: "n/a", error: "no CARP group \(group)")
            }
            let expectsSplit: Bool = if case .splitBrain = assertion { true } else { false }
            var overlaps = CarpTimeline.overlaps(of: carp, in: records)
            if scope != .run {
                // From the last fault's instant on: an overlap that ended before it is outside.
                guard let since = sources.lastFault else {
                    return Check(
                        holds: false, actual: "n/a", error: "scope last_fault: no fault step before this check")
                }
                overlaps = overlaps.filter { period in period.end.map { $0 > since } ?? true }
            }
            guard !overlaps.isEmpty else {
                return Check(
                    holds: !expectsSplit,
                    actual: expectsSplit
                        ? "never two holders; \(CarpTimeline.ownershipText(carp, records))" : "never two holders")
            }
            let start = records.first?.time.nanoseconds ?? 0
            func ms(_ instant: MonotonicInstant) -> String {
                "\(Int((Double(instant.nanoseconds &- start) / 1e6).rounded()))ms"
            }
            let text = overlaps.map { period in
                "\(period.nodes.joined(separator: " and ")) held the VIP from \(ms(period.start)) to "
                    + (period.end.map(ms) ?? "the end of the log (still)")
            }.joined(separator: "; ")
            return Check(holds: expectsSplit, actual: "\(text); \(CarpTimeline.ownershipText(carp, records))")
        default:
            return Check(holds: false, actual: "n/a", error: "\(assertion.key) is not a CARP peer assertion")
        }
    }

    public func planLook(_ assertion: Assertion, plan: PlanContext) -> String {
        switch assertion {
        case .vipOwner(let group, _), .carpMaster(let group, _), .orphanVIP(let group, _), .singleMaster(let group, _),
            .splitBrain(let group, _):
            guard let carp = plan.topology.carp.first(where: { $0.name == group }) else {
                return PlanRenderer.comment("(no CARP group \(group))")
            }
            return carp.members.map {
                PlanRenderer.command([
                    "ip", "-n", plan.ns($0.node), "-4", "addr", "show", "dev", $0.interface, "to", carp.vip.addressText,
                ])
            }.joined(separator: "\n")
        default:
            return PlanRenderer.comment("(not a CARP peer assertion)")
        }
    }
}
