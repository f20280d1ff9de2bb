import FailoverCore
import FailoverFamilies
import FailoverModel
import Foundation
import Testing

@testable import FailoverPlaybook

/// `single_master` / `split_brain` over a window: `scope: last_fault` looks from the last fault
/// step's instant on; an overlap still open at that instant counts, one that ended before it not.
@Suite("CARP single_master / split_brain over the last fault's window")
struct CarpScopeTests {
    /// r1 killed, r2 takes over (r1's orphan stays: overlap from 9172 ms), r1's VIP removed at 9500 ms.
    static let healed =
        CarpPeerFamilyTests.killed + [CarpPeerFamilyTests.record(9500, "r1", "address", "removed 198.18.0.1/24")]

    func check(_ assertion: Assertion, _ records: [ObservationRecord], lastFault ms: UInt64?) async throws -> Check {
        var sources = AssertionSources(
            state: { _ in .missing }, observations: { records }, topology: CarpPeerFamilyTests.topology)
        sources.lastFault = ms.map { MonotonicInstant(nanoseconds: $0 * 1_000_000) }
        return try await StandardFamilies.evaluators.family(of: assertion).check(assertion, sources: sources)
    }

    @Test("an overlap ending 1 ms after the fault is in the window; one ending at the fault's instant is not")
    func bounds() async throws {
        let single = Assertion.singleMaster(group: "outside", scope: .lastFault)
        let inside = try await check(single, Self.healed, lastFault: 9499)
        #expect(!inside.holds && inside.error == nil)
        #expect(inside.actual.hasPrefix("r1 and r2 held the VIP from 9172ms to 9500ms"), "\(inside.actual)")
        let outside = try await check(single, Self.healed, lastFault: 9500)
        #expect(outside.holds && outside.error == nil, "\(outside.actual)")
        // The whole run still sees it.
        #expect(try await !check(.singleMaster(group: "outside"), Self.healed, lastFault: 9500).holds)
        // split_brain, the opposite, on the same bounds.
        let split = Assertion.splitBrain(group: "outside", scope: .lastFault)
        #expect(try await check(split, Self.healed, lastFault: 9499).holds)
        #expect(try await !check(split, Self.healed, lastFault: 9500).holds)
    }

    @Test("an overlap still open counts whatever the fault's instant; no fault yet is errored")
    func openAndNoFault() async throws {
        let single = Assertion.singleMaster(group: "outside", scope: .lastFault)
        #expect(try await !check(single, CarpPeerFamilyTests.killed, lastFault: 60_000).holds)
        let none = try await check(single, Self.healed, lastFault: nil)
        #expect(!none.holds)
        #expect(none.error == "scope last_fault: no fault step before this check")
    }

    static func yaml(_ expect: String, fault: Bool = true) -> String {
        CarpTopologyTests.yaml(CarpTopologyTests.group()).replacingOccurrences(
            of: "steps:\n  - hold: 1s\n",
            with: "steps:\n" + (fault ? "  - kill_peer: {group: outside, node: r1}\n" : "") + "  - expect: \(expect)\n")
    }

    @Test("scope decodes (run by default, last_fault); another value and last_fault without a fault are load errors")
    func decoding() throws {
        let playbook = try CarpTopologyTests.load(Self.yaml("{single_master: {group: outside, scope: last_fault}}"))
        guard case .expect(let expectations) = playbook.steps.last?.action else {
            Issue.record("no expect step")
            return
        }
        #expect(expectations.first?.assertion == .singleMaster(group: "outside", scope: .lastFault))
        let plain = try CarpTopologyTests.load(Self.yaml("{split_brain: {group: outside}}"))
        guard case .expect(let other) = plain.steps.last?.action else {
            Issue.record("no expect step")
            return
        }
        #expect(other.first?.assertion == .splitBrain(group: "outside", scope: .run))
        let bad = CarpTopologyTests.diagnostics(Self.yaml("{single_master: {group: outside, scope: step}}"))
        #expect(bad.contains { $0.contains("scope: expected run or last_fault, found 'step'") }, "\(bad)")
        let early = CarpTopologyTests.diagnostics(
            Self.yaml("{split_brain: {group: outside, scope: last_fault}}", fault: false))
        #expect(
            early.contains { $0.contains("scope last_fault needs a fault step before this expect") }, "\(early)")
    }
}
