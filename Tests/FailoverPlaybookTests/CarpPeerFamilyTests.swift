import FailoverCore
import FailoverFamilies
import FailoverModel
import FailoverPlaybook
import Testing

/// The CARP peer family decides on the observation log: VIP ownership from address records,
/// mastership from ucarp's state lines, exits and SIGSTOP/SIGCONT; orphans are owners whose
/// daemon is dead or frozen. Each verdict both ways, and the errored case (no log).
@Suite("CARP peer family on a scripted log")
struct CarpPeerFamilyTests {
    static let group = CarpGroup(
        name: "outside", vip: InterfaceAddress("198.18.0.1/24")!, vhid: 1, password: CarpPassword("pw"),
        members: [CarpMember(node: "r1", interface: "eth0"), CarpMember(node: "r2", interface: "eth0", advskew: 100)])
    static let topology = Topology(carp: [group])

    static func record(_ ms: UInt64, _ host: String, _ kind: String, _ detail: String) -> ObservationRecord {
        ObservationRecord(
            time: MonotonicInstant(nanoseconds: ms * 1_000_000), host: host, interface: "eth0", kind: kind,
            detail: detail)
    }

    /// Election of r1, then r1 killed and r2 master: r1's VIP stays (no down script).
    static let killed: [ObservationRecord] = [
        record(0, "r1", "carp_state", "outside vhid 1: BACKUP"),
        record(1, "r2", "carp_state", "outside vhid 1: BACKUP"),
        record(3000, "r1", "carp_state", "outside vhid 1: MASTER"),
        record(3002, "r1", "address", "added 198.18.0.1/24"),
        record(5000, "r1", "carp_signal", "outside vhid 1: SIGKILL"),
        record(5001, "r1", "carp_state", "outside vhid 1: EXITED (signal 9)"),
        record(9170, "r2", "carp_state", "outside vhid 1: MASTER"),
        record(9172, "r2", "address", "added 198.18.0.1/24"),
        // Another group's VIP and an unrelated host do not count.
        record(9200, "client", "address", "added 198.18.0.1/24"),
        record(9300, "r1", "address", "added 198.18.0.5/24"),
    ]

    func check(_ assertion: Assertion, _ records: [ObservationRecord]?) async throws -> Check {
        let sources = AssertionSources(
            state: { _ in .missing }, observations: records.map { list in { list } }, topology: Self.topology)
        return try await StandardFamilies.evaluators.family(of: assertion).check(assertion, sources: sources)
    }

    @Test("vip_owner: both nodes after the kill; the wrong set fails naming the owners and the timeline")
    func owners() async throws {
        #expect(try await check(.vipOwner(group: "outside", expected: ["r1", "r2"]), Self.killed).holds)
        let wrong = try await check(.vipOwner(group: "outside", expected: ["r2"]), Self.killed)
        #expect(!wrong.holds && wrong.error == nil)
        #expect(
            wrong.actual
                == "r1, r2; timeline: r1 BACKUP at 0ms, r2 BACKUP at 1ms, r1 MASTER at 3000ms, r1 +VIP at 3002ms, "
                + "r1 SIGKILL at 5000ms, r1 EXITED (signal 9) at 5001ms, r2 MASTER at 9170ms, r2 +VIP at 9172ms")
        // Just before r2's address record: r1 alone.
        #expect(try await check(.vipOwner(group: "outside", expected: ["r1"]), Array(Self.killed.prefix(7))).holds)
    }

    @Test("master: r2 after the kill (r1's last line said MASTER but it exited); r1 before; none in between")
    func master() async throws {
        #expect(try await check(.carpMaster(group: "outside", expected: "r2"), Self.killed).holds)
        let wrong = try await check(.carpMaster(group: "outside", expected: "r1"), Self.killed)
        #expect(!wrong.holds && wrong.actual.hasPrefix("r2; timeline: "))
        #expect(try await check(.carpMaster(group: "outside", expected: "r1"), Array(Self.killed.prefix(4))).holds)
        #expect(try await check(.carpMaster(group: "outside", expected: nil), Array(Self.killed.prefix(6))).holds)
        #expect(!(try await check(.carpMaster(group: "outside", expected: nil), Array(Self.killed.prefix(5))).holds))
    }

    @Test("orphan_vip: r1 holds the VIP with its daemon dead; frozen counts until thawed; removed VIP is no orphan")
    func orphans() async throws {
        #expect(try await check(.orphanVIP(group: "outside", expected: ["r1"]), Self.killed).holds)
        #expect(!(try await check(.orphanVIP(group: "outside", expected: []), Self.killed).holds))
        let frozen = Array(Self.killed.prefix(4)) + [Self.record(4000, "r1", "carp_signal", "outside vhid 1: SIGSTOP")]
        #expect(try await check(.orphanVIP(group: "outside", expected: ["r1"]), frozen).holds)
        #expect(try await check(.carpMaster(group: "outside", expected: nil), frozen).holds)
        let thawed = frozen + [Self.record(4500, "r1", "carp_signal", "outside vhid 1: SIGCONT")]
        #expect(try await check(.orphanVIP(group: "outside", expected: []), thawed).holds)
        let stopped =
            Array(Self.killed.prefix(4)) + [
                Self.record(5000, "r1", "address", "removed 198.18.0.1/24"),
                Self.record(5001, "r1", "carp_state", "outside vhid 1: EXITED (exit 0)"),
            ]
        #expect(try await check(.orphanVIP(group: "outside", expected: []), stopped).holds)
        #expect(try await check(.vipOwner(group: "outside", expected: []), stopped).holds)
    }

    @Test(
        "single_master: fails after the kill naming the overlap (start, nodes, still open); holds before r2's VIP; a closed overlap has an end"
    )
    func singleMaster() async throws {
        let split = try await check(.singleMaster(group: "outside"), Self.killed)
        #expect(!split.holds && split.error == nil)
        #expect(split.actual.hasPrefix("r1 and r2 held the VIP from 9172ms to the end of the log (still); timeline: "))
        #expect(try await check(.singleMaster(group: "outside"), Array(Self.killed.prefix(7))).holds)
        let healed = Self.killed + [Self.record(9500, "r1", "address", "removed 198.18.0.1/24")]
        let closed = try await check(.singleMaster(group: "outside"), healed)
        #expect(closed.actual.hasPrefix("r1 and r2 held the VIP from 9172ms to 9500ms; "), "\(closed.actual)")
        // A handover (remove then add) is never two holders.
        let handover =
            Array(Self.killed.prefix(4)) + [
                Self.record(5000, "r1", "address", "removed 198.18.0.1/24"),
                Self.record(5001, "r2", "address", "added 198.18.0.1/24"),
            ]
        #expect(try await check(.singleMaster(group: "outside"), handover).holds)
    }

    @Test("split_brain: the opposite of single_master: holds once two nodes held the VIP, fails on a handover")
    func splitBrain() async throws {
        let split = try await check(.splitBrain(group: "outside"), Self.killed)
        #expect(split.holds && split.actual.hasPrefix("r1 and r2 held the VIP from 9172ms"))
        // One record earlier (r2's address not yet added): never two holders, and the timeline is named.
        let before = try await check(.splitBrain(group: "outside"), Array(Self.killed.prefix(7)))
        #expect(!before.holds && before.error == nil)
        #expect(before.actual.hasPrefix("never two holders; timeline: r1 BACKUP at 0ms"), "\(before.actual)")
    }

    @Test("no observation log, or an unknown group: errored, never passed")
    func errored() async throws {
        let noLog = try await check(.vipOwner(group: "outside", expected: []), nil)
        #expect(!noLog.holds && noLog.error != nil)
        let unknown = try await check(.carpMaster(group: "inside", expected: nil), Self.killed)
        #expect(!unknown.holds && unknown.error == "no CARP group inside")
    }
}

/// `within: auto` on CARP assertions: the slowest member's takeover from the group's timers, plus
/// the daemon allowance; refused at load time on kinds that derive no deadline.
@Suite("CARP within: auto")
struct CarpDerivedDeadlineTests {
    static func deadline(_ assertion: Assertion, _ topology: Topology) -> Duration? {
        StandardFamilies.evaluators.family(of: assertion).derivedDeadline(assertion, in: topology)?.0
    }

    @Test(
        "advbase 1, advskews 0 and 100: ⌈3.390 / 1.390⌉ × 1.390 s = 4.170 s + 1 s capture latency + 1 s; advskew 0 alone: 3 s + 1 s + 1 s"
    )
    func formula() {
        let topology = CarpPeerFamilyTests.topology
        #expect(Self.deadline(.carpMaster(group: "outside", expected: "r2"), topology) == .milliseconds(6170))
        #expect(Self.deadline(.vipOwner(group: "outside", expected: []), topology) == .milliseconds(6170))
        #expect(Self.deadline(.orphanVIP(group: "outside", expected: []), topology) == .milliseconds(6170))
        var fast = CarpPeerFamilyTests.group
        fast.members = [CarpMember(node: "r1", interface: "eth0"), CarpMember(node: "r2", interface: "eth0")]
        #expect(Self.deadline(.carpMaster(group: "outside", expected: nil), Topology(carp: [fast])) == .seconds(5))
        // Not a takeover: no derivation (and the loader refuses `auto` on it, below).
        #expect(Self.deadline(.singleMaster(group: "outside"), topology) == nil)
        #expect(Self.deadline(.carpMaster(group: "nowhere", expected: nil), topology) == nil)
    }

    @Test("auto is accepted on master / vip_owner / orphan_vip and interface state, refused where nothing derives it")
    func loading() throws {
        let registry = FamilyRegistryTests()
        let playbook = try registry.load("expect: {master: {group: g1, is: client, within: auto}}")
        guard case .expect(let members) = try #require(playbook.steps.last).action else {
            Issue.record("not an expect step")
            return
        }
        #expect(members.first?.wait == .derived)
        #expect(
            registry.diagnostics("expect: {neighbour: {host: client, ip: 198.18.0.1, within: auto}}") == [
                "t.yaml:17:64: error: steps[1].expect.neighbour.within: auto: no deadline is derived for neighbour; "
                    + "give a duration like 2s"
            ])
        #expect(
            registry.diagnostics("expect: {option: {bond: server/bond0, name: updelay, is: 0, within: auto}}").first?
                .contains("auto: no deadline is derived for option") == true)
    }
}
