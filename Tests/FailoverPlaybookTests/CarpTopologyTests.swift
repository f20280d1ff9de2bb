import FailoverCore
import FailoverFamilies
import FailoverModel
import Foundation
import Testing

@testable import FailoverPlaybook

/// The `carp:` section of the topology: decoding, the checker's rules (each bound just inside and
/// just outside), the run plan's ucarp peers, and the password that never shows.
@Suite("CARP groups (ucarp peers)")
struct CarpTopologyTests {
    static let password = "s3cr3t-pw-7QxZ"

    /// Two peers r1, r2 and a client on sw1, r1/r2 also on sw2 (eth1); `group` is one list item of `carp:`.
    static func yaml(_ groups: String, extraHosts: String = "") -> String {
        """
        name: carp
        topology:
          switches: [sw1, sw2]
          hosts:
            client:
              cables: {eth0: sw1}
              address: {eth0: 198.18.0.2/24}
            r1:
              cables: {eth0: sw1, eth1: sw2}
              address: {eth0: 198.18.0.11/24, eth1: 198.19.0.11/24}
            r2:
              cables: {eth0: sw1, eth1: sw2}
              address: {eth0: 198.18.0.12/24, eth1: 198.19.0.12/24}
        \(extraHosts)
          carp:
        \(groups)
        steps:
          - hold: 1s

        """
    }

    static func group(
        name: String = "outside", vip: String = "198.18.0.1/24", vhid: String = "1", advbase: String = "1",
        password: String = CarpTopologyTests.password, preempt: String = "false", interface: String = "eth0",
        advskew1: String = "0", advskew2: String = "100", extra: String = ""
    ) -> String {
        """
            - name: \(name)
              vip: \(vip)
              vhid: \(vhid)
              advbase: \(advbase)
              password: "\(password)"
              preempt: \(preempt)\(extra)
              members:
                - {node: r1, interface: \(interface), advskew: \(advskew1)}
                - {node: r2, interface: \(interface), advskew: \(advskew2)}
        """
    }

    static func diagnostics(_ yaml: String) -> [String] {
        do {
            _ = try PlaybookLoader.load(yaml: yaml, file: "c.yaml")
            return []
        } catch let error as PlaybookError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    static func load(_ yaml: String) throws -> Playbook { try PlaybookLoader.load(yaml: yaml, file: "c.yaml").playbook }

    @Test("a group decodes with every value; members keep their order")
    func decodes() throws {
        let playbook = try Self.load(Self.yaml(Self.group(vhid: "7", advbase: "2", preempt: "true")))
        let group = try #require(playbook.topology.carp.first)
        #expect(playbook.topology.carp.count == 1)
        #expect(group.name == "outside")
        #expect(group.vip == InterfaceAddress("198.18.0.1/24"))
        #expect(group.vhid == 7)
        #expect(group.advbase == 2)
        #expect(group.preempt)
        #expect(group.password.revealedForPassfile == Self.password)
        #expect(group.members.map(\.node) == ["r1", "r2"])
        #expect(group.members.map(\.advskew) == [0, 100])
        #expect(group.members.map(\.interface) == ["eth0", "eth0"])
    }

    @Test("the password shows as *** in descriptions, dumps and JSON, never as itself")
    func passwordMasked() throws {
        let playbook = try Self.load(Self.yaml(Self.group()))
        let group = try #require(playbook.topology.carp.first)
        var dumped = ""
        dump(group, to: &dumped)
        let json = String(decoding: try JSONEncoder().encode(playbook.topology), as: UTF8.self)
        for text in ["\(group.password)", String(reflecting: group.password), "\(group)", dumped, json] {
            #expect(!text.contains(Self.password), "\(text)")
        }
        #expect("\(group.password)" == "***")
        #expect(json.contains("\"password\":\"***\""))
    }

    @Test("vhid 1 and 255 load; 0 and 256 are errors at the value")
    func vhidRange() {
        #expect(Self.diagnostics(Self.yaml(Self.group(vhid: "1"))) == [])
        #expect(Self.diagnostics(Self.yaml(Self.group(vhid: "255"))) == [])
        #expect(
            Self.diagnostics(Self.yaml(Self.group(vhid: "0"))) == [
                "c.yaml:18:13: error: topology.carp[0].vhid: 0 is out of range 1...255"
            ])
        #expect(
            Self.diagnostics(Self.yaml(Self.group(vhid: "256"))) == [
                "c.yaml:18:13: error: topology.carp[0].vhid: 256 is out of range 1...255"
            ])
    }

    @Test("advskew 255 loads, 256 and -1 are errors; advbase 0 is an error")
    func skewAndBaseRanges() {
        #expect(Self.diagnostics(Self.yaml(Self.group(advskew2: "255"))) == [])
        #expect(
            Self.diagnostics(Self.yaml(Self.group(advskew2: "256"))) == [
                "c.yaml:24:48: error: topology.carp[0].members[1].advskew: 256 is out of range 0...255"
            ])
        #expect(Self.diagnostics(Self.yaml(Self.group(advskew1: "-1"))).count == 1)
        #expect(
            Self.diagnostics(Self.yaml(Self.group(advbase: "0"))) == [
                "c.yaml:19:16: error: topology.carp[0].advbase: 0 s is out of range 1...255 s"
            ])
    }

    @Test("a 20-character password loads; 21 characters is an error that does not quote it")
    func passwordLength() {
        let twenty = String(repeating: "p", count: 19) + "Z"
        #expect(Self.diagnostics(Self.yaml(Self.group(password: twenty))) == [])
        let problems = Self.diagnostics(Self.yaml(Self.group(password: twenty + "Q")))
        #expect(problems == ["c.yaml:20:17: error: topology.carp[0].password: 21 characters; ucarp takes at most 20"])
        #expect(!problems.joined().contains(twenty))
        #expect(
            Self.diagnostics(Self.yaml(Self.group(password: ""))) == [
                "c.yaml:20:17: error: topology.carp[0].password: must not be empty"
            ])
    }

    @Test("an unknown node, an unknown interface, a missing key and an unknown key are errors with locations")
    func references() {
        let unknownNode = Self.yaml(Self.group()).replacingOccurrences(of: "{node: r2,", with: "{node: r9,")
        #expect(
            Self.diagnostics(unknownNode) == [
                "c.yaml:24:18: error: topology.carp[0].members[1].node: no host r9; hosts: client, r1, r2"
            ])
        #expect(
            Self.diagnostics(Self.yaml(Self.group(interface: "eth7"))) == [
                "c.yaml:23:33: error: topology.carp[0].members[0].interface: no interface r1/eth7; interfaces of r1: eth0, eth1",
                "c.yaml:24:33: error: topology.carp[0].members[1].interface: no interface r2/eth7; interfaces of r2: eth0, eth1",
            ])
        let noVhid = Self.yaml(Self.group()).replacingOccurrences(of: "      vhid: 1\n", with: "")
        #expect(Self.diagnostics(noVhid) == ["c.yaml:16:7: error: topology.carp[0]: missing required key 'vhid'"])
        #expect(
            Self.diagnostics(Self.yaml(Self.group(extra: "\n      vhdi: 2"))) == [
                "c.yaml:22:7: error: unknown key 'vhdi' in topology.carp[0]; did you mean 'vhid'?"
            ])
    }

    @Test("a member without an IPv4 address on its interface is an error (ucarp needs --srcip)")
    func sourceAddress() {
        let yaml = Self.yaml(Self.group()).replacingOccurrences(
            of: "address: {eth0: 198.18.0.12/24, eth1: 198.19.0.12/24}",
            with: "address: {eth0: 2001:2::12/64, eth1: 198.19.0.12/24}")
        #expect(
            Self.diagnostics(yaml) == [
                "c.yaml:24:33: error: topology.carp[0].members[1].interface: r2/eth0 has no IPv4 address; ucarp needs the member's own address (--srcip)"
            ])
    }

    @Test(
        "the VIP: IPv6 is refused (ucarp is IPv4-only), outside 198.18.0.0/15 is refused, a host's own address is refused"
    )
    func vip() {
        #expect(
            Self.diagnostics(Self.yaml(Self.group(vip: "2001:2::1/64"))) == [
                "c.yaml:17:12: error: topology.carp[0].vip: 2001:2::1/64 is IPv6; ucarp is IPv4-only"
            ])
        // Just inside the range's top and just outside it.
        #expect(Self.diagnostics(Self.yaml(Self.group(vip: "198.19.255.254/15"))) == [])
        #expect(
            Self.diagnostics(Self.yaml(Self.group(vip: "198.20.0.1/24"))) == [
                "c.yaml:17:12: error: topology.carp[0].vip: 198.20.0.1/24 is outside the benchmark ranges; playbooks use 198.18.0.0/15 and 2001:2::/48 only (set allow_any_addresses: true to override)"
            ])
        #expect(
            Self.diagnostics(Self.yaml(Self.group(vip: "198.18.0.2/24"))) == [
                "c.yaml:17:12: error: topology.carp[0].vip: 198.18.0.2 is also the address of client/eth0; the VIP must be an address no host has"
            ])
    }

    @Test("default addresses skip the VIP: r2/eth0 without an address gets 198.18.0.3, not the VIP 198.18.0.1")
    func defaultsSkipVIP() throws {
        let yaml = Self.yaml(Self.group()).replacingOccurrences(
            of: "address: {eth0: 198.18.0.12/24, eth1: 198.19.0.12/24}", with: "address: {eth1: 198.19.0.12/24}")
        let playbook = try Self.load(yaml)
        let r2 = try #require(playbook.topology.host(named: "r2"))
        #expect(r2.addresses(of: "eth0").first?.description == "198.18.0.3/24")
    }

    @Test("one vhid twice on one switch is an error; on two switches (the seed's two groups) it is not")
    func duplicateVHID() {
        let second = Self.group(name: "inside", vip: "198.19.0.1/24", vhid: "1", interface: "eth1")
        #expect(Self.diagnostics(Self.yaml(Self.group() + "\n" + second)) == [])
        let sameSwitch = Self.group(name: "inside", vip: "198.18.0.3/24", vhid: "1")
        #expect(
            Self.diagnostics(Self.yaml(Self.group() + "\n" + sameSwitch)) == [
                "c.yaml:27:13: error: topology.carp[1].vhid: vhid 1 is also used by CARP group outside on the same segment (switch sw1); each group on a segment needs its own vhid"
            ])
        let otherVHID = Self.group(name: "inside", vip: "198.18.0.3/24", vhid: "2")
        #expect(Self.diagnostics(Self.yaml(Self.group() + "\n" + otherVHID)) == [])
    }

    @Test("the plan starts one ucarp per member after the interfaces are up; the rendering has no password")
    func plan() throws {
        let playbook = try Self.load(Self.yaml(Self.group(preempt: "true")))
        let names = RunNames(runID: "000000")
        let plan = RunPlanCompiler.compile(playbook, names: names)
        let operations = plan.buildOperations.map(\.operation)
        let peers = operations.compactMap { operation -> CarpPeer? in
            if case .startPeer(let peer) = operation { return peer }
            return nil
        }
        #expect(peers.map(\.name) == ["carp-outside-r1", "carp-outside-r2"])
        #expect(peers.map(\.sourceAddress.description) == ["198.18.0.11", "198.18.0.12"])
        let waitIndex = try #require(operations.firstIndex { if case .waitUntilUp = $0 { true } else { false } })
        let firstPeer = try #require(operations.firstIndex { if case .startPeer = $0 { true } else { false } })
        #expect(waitIndex < firstPeer)
        #expect(
            operations[firstPeer].description
                == "ip netns exec fo000000-r1 ucarp --interface=eth0 --srcip=198.18.0.11 --vhid=1 "
                + "--passfile=<tmp>/failover-carp-carp-outside-r1.pass --addr=198.18.0.1 --advbase=1 --advskew=0 "
                + "--preempt --shutdown --upscript=<results>/peers/carp-vip-up --downscript=<results>/peers/carp-vip-down "
                + "--xparam=24 --facility=none")
        #expect(operations[firstPeer].creates == [.process(namespace: "fo000000-r1", name: "carp-outside-r1")])
        let script = PlanRenderer.render(playbook, names: names)
        let json = String(decoding: try JSONEncoder().encode(plan), as: UTF8.self)
        #expect(!script.contains(Self.password))
        #expect(!json.contains(Self.password))
        #expect(script.contains("ucarp --interface=eth0 --srcip=198.18.0.12"))
        let noPreempt = RunPlanCompiler.compile(try Self.load(Self.yaml(Self.group())), names: names)
        #expect(!noPreempt.buildOperations.contains { $0.operation.description.contains("--preempt") })
    }

    @Test("partition / heal: an nftables bridge filter on the node's switch port for IP protocol 112, and its removal")
    func partitionPlan() throws {
        let yaml = Self.yaml(Self.group()).replacingOccurrences(
            of: "  - hold: 1s", with: "  - partition: {group: outside, node: r2}\n  - heal: {group: outside, node: r2}")
        let plan = RunPlanCompiler.compile(try Self.load(yaml), names: RunNames(runID: "000000"))
        let operations = plan.steps.flatMap(\.operations).map(\.operation)
        #expect(operations.count == 2)
        let lines = operations.map(\.description)
        let prefix = "ip netns exec fo000000-sw1 nft "
        let expected: [String] = [
            prefix + "add table bridge fo_carp_r2",
            prefix + "add chain bridge fo_carp_r2 forward { type filter hook forward priority 0 ; }",
            prefix + "add rule bridge fo_carp_r2 forward iifname r2-eth0 ip protocol 112 drop",
            prefix + "add rule bridge fo_carp_r2 forward oifname r2-eth0 ip protocol 112 drop",
        ]
        #expect(lines.first == expected.joined(separator: " && "))
        #expect(lines.last == "ip netns exec fo000000-sw1 nft delete table bridge fo_carp_r2")
        #expect(plan.steps.map(\.action.faultPolarity) == [.failure, .repair])
        // Unknown member: a load error at the step, not a run-time surprise.
        let wrong = Self.yaml(Self.group()).replacingOccurrences(
            of: "  - hold: 1s", with: "  - partition: {group: outside, node: client}")
        #expect(Self.diagnostics(wrong).first?.contains("client is not a member of CARP group outside") == true)
    }

    @Test("the master-down interval: advbase × 3 + advskew/256 s (ucarp src/carp.c)")
    func masterDown() {
        #expect(CarpGroup.masterDownNanoseconds(advbase: 1, advskew: 100) == 3_390_625_000)
        #expect(CarpGroup.masterDownNanoseconds(advbase: 2, advskew: 0) == 6_000_000_000)
        #expect(CarpGroup.masterDownNanoseconds(advbase: 1, advskew: 255) == 3_996_093_750)
    }

    @Test("ucarp's real takeover: the first poll timeout (advbase + advskew/256, whole ms) after the master-down timer")
    func takeover() {
        #expect(CarpGroup.backupPollNanoseconds(advbase: 1, advskew: 100) == 1_390_000_000)
        // 2 polls (2.780 s) are before 3.390625 s, the third (4.170 s) is after it.
        #expect(CarpGroup.takeoverNanoseconds(advbase: 1, advskew: 100) == 4_170_000_000)
        // advskew 0: the timer (3 s) ends exactly on the third poll timeout.
        #expect(CarpGroup.takeoverNanoseconds(advbase: 1, advskew: 0) == 3_000_000_000)
        // advskew 255: poll 1.996 s, timer 3.996 s: just past 2 polls (3.992 s), so 3 polls.
        #expect(CarpGroup.takeoverNanoseconds(advbase: 1, advskew: 255) == 5_988_000_000)
        #expect(CarpGroup.takeoverNanoseconds(advbase: 2, advskew: 0) == 6_000_000_000)
    }
}
