import FailoverCore
import FailoverFamilies
import FailoverModel
import Foundation
import Testing

@testable import FailoverPlaybook

/// Switch LAGs (a bond in the switch's namespace, the kernel's LACP as the partner), peer links
/// between switches (an MC-LAG pair), and the frame filters on a switch port: decoding, the
/// checker's diagnostics, the run plan's operations and their text.
@Suite("switch LAGs, peer links and frame filters")
struct SwitchLAGTests {
    /// An MC-LAG pair sw1/sw2 (peer link declared on sw2), the server's eth0 on sw1 and eth1 on sw2,
    /// a client on sw1. `lags1`/`lags2` are the `lags:` values of sw1 and sw2.
    static func yaml(
        lags1: String =
            "{po1: {ports: [server/eth0], lacp_rate: fast, ad_actor_system: \"02:00:00:00:00:aa\", ad_user_port_key: 10}}",
        lags2: String =
            "{po1: {ports: [server/eth1], lacp_rate: fast, ad_actor_system: \"02:00:00:00:00:aa\", ad_user_port_key: 10}}",
        peer: String = "sw1", extraSwitch: String = "", steps: String = "  - hold: 1s"
    ) -> String {
        """
        name: lag
        topology:
          switches:
            - name: sw1
              lags: \(lags1)
            - {name: sw2, peer_link: \(peer), lags: \(lags2)}
        \(extraSwitch)
          hosts:
            server:
              cables: {eth0: sw1, eth1: sw2}
              bonds:
                bond0: {mode: 802.3ad, lacp_rate: fast, miimon: 100, slaves: [eth0, eth1], address: 198.18.0.1/24}
            client:
              cables: {eth0: sw1}
              address: {eth0: 198.18.0.2/24}
        steps:
        \(steps)

        """
    }

    static func load(_ yaml: String) throws -> Playbook { try PlaybookLoader.load(yaml: yaml, file: "l.yaml").playbook }

    static func diagnostics(_ yaml: String) -> [String] {
        do {
            let loaded = try PlaybookLoader.load(yaml: yaml, file: "l.yaml")
            return loaded.warnings.map(\.description)
        } catch let error as PlaybookError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    static let names = RunNames(runID: "000000")

    static func link(_ namespace: String, _ name: String) -> NamespacedLink {
        NamespacedLink(namespace: "fo000000-" + namespace, name: name)
    }

    @Test("a switch written as a mapping decodes its LAGs (mode, ports, options) and its peer link")
    func decodes() throws {
        let playbook = try Self.load(Self.yaml())
        let sw1 = try #require(playbook.topology.switch(named: "sw1"))
        let sw2 = try #require(playbook.topology.switch(named: "sw2"))
        #expect(sw1.peerLink == nil)
        #expect(sw2.peerLink == "sw1")
        let lag = try #require(sw1.lags.first)
        #expect(sw1.lags.count == 1)
        #expect(lag.name == "po1")
        #expect(lag.mode == .ieee8023ad)
        #expect(lag.ports == [InterfaceRef(host: "server", interface: "eth0")])
        #expect(lag.options.lacpRate == .fast)
        #expect(lag.options.adActorSystem == MACAddress("02:00:00:00:00:aa"))
        #expect(lag.options.adUserPortKey == 10)
        #expect(lag.options.miimon == nil)
        #expect(lag.bondOptions.miimon == 100)
        #expect(sw1.lag(of: InterfaceRef(host: "server", interface: "eth0"))?.name == "po1")
        #expect(sw1.lag(of: InterfaceRef(host: "client", interface: "eth0")) == nil)
        // A static LAG.
        let xor = try Self.load(Self.yaml(lags1: "{po1: {ports: [server/eth0], mode: balance-xor, miimon: 50}}"))
        let staticLAG = try #require(xor.topology.switch(named: "sw1")?.lags.first)
        #expect(staticLAG.mode == .balanceXOR)
        #expect(staticLAG.bondOptions.miimon == 50)
    }

    @Test("the plan builds the peer link between the bridges and each LAG's bond over its ports, in the bridge")
    func plan() throws {
        let playbook = try Self.load(Self.yaml())
        let script = PlanRenderer.render(playbook, names: Self.names)
        let lines = script.split(separator: "\n").map(String.init)
        let expected = [
            "ip -n fo000000-sw2 link add peer-sw1 type veth peer name peer-sw2 netns fo000000-sw1",
            "ip -n fo000000-sw2 link set peer-sw1 master br0",
            "ip -n fo000000-sw2 link set peer-sw1 up",
            "ip -n fo000000-sw1 link set peer-sw2 master br0",
            "ip -n fo000000-sw1 link set peer-sw2 up",
            "ip -n fo000000-sw1 link add po1 type bond mode 802.3ad miimon 100 lacp_rate fast ad_user_port_key 10 ad_actor_system 02:00:00:00:00:aa",
            "ip -n fo000000-sw1 link set server-eth0 down",
            "ip -n fo000000-sw1 link set server-eth0 master po1",
            "ip -n fo000000-sw1 link set po1 master br0",
            "ip -n fo000000-sw1 link set po1 up",
        ]
        let start = try #require(lines.firstIndex(of: expected[0]), "\(script)")
        #expect(Array(lines[start..<min(start + 6, lines.count)]) == Array(expected[0..<5]) + ["# --- switch LAGs ---"])
        let lagStart = try #require(lines.firstIndex(of: expected[5]), "\(script)")
        #expect(Array(lines[lagStart..<lagStart + 5]) == Array(expected[5...]))
        // A LAG member is never a bridge port; the client's port is.
        #expect(!lines.contains("ip -n fo000000-sw1 link set server-eth0 master br0"))
        #expect(lines.contains("ip -n fo000000-sw1 link set client-eth0 master br0"))
        // The checks: the LAG's options read back, and the LAG and peer-link ports come up.
        let plan = RunPlanCompiler.compile(playbook, names: Self.names)
        #expect(
            plan.buildOperations.map(\.operation).contains(
                .readBackBondOptions(
                    Self.link("sw1", "po1"), mode: .ieee8023ad,
                    options: try #require(playbook.topology.switches.first?.lags.first).bondOptions)))
        guard case .waitUntilUp(let waited)? = plan.buildOperations.last?.operation else {
            Issue.record("no wait until up last")
            return
        }
        for port in [
            Self.link("sw1", "po1"), Self.link("sw2", "po1"), Self.link("sw1", "peer-sw2"),
            Self.link("sw2", "peer-sw1"),
        ] {
            #expect(waited.contains(port), "\(port)")
        }
    }

    @Test("faults on a LAG: blackhole and drop_frames filter the port itself; switch_down takes the LAG ports down")
    func faults() throws {
        let playbook = try Self.load(
            Self.yaml(
                steps: """
                      - blackhole: server/eth0
                      - restore: server/eth0
                      - {drop_frames: {interface: server/eth1, frames: lacpdu}}
                      - pass_frames: server/eth1
                      - {drop_frames: {interface: client/eth0, frames: data}}
                      - switch_down: sw1
                      - switch_up: sw1
                      - blackhole: client/eth0
                    """))
        let steps = RunPlanCompiler.compile(playbook, names: Self.names).steps.map { $0.operations.map(\.operation) }
        let port = Self.link("sw1", "server-eth0")
        #expect(steps[0] == [.filterFrames(port: port, table: "fo_frames_server_eth0", frames: .all, drop: true)])
        #expect(steps[1] == [.filterFrames(port: port, table: "fo_frames_server_eth0", frames: .all, drop: false)])
        #expect(
            steps[2] == [
                .filterFrames(
                    port: Self.link("sw2", "server-eth1"), table: "fo_frames_server_eth1", frames: .lacpdu, drop: true)
            ])
        #expect(
            steps[3] == [
                .filterFrames(
                    port: Self.link("sw2", "server-eth1"), table: "fo_frames_server_eth1", frames: .all, drop: false)
            ])
        #expect(
            steps[4] == [
                .filterFrames(
                    port: Self.link("sw1", "client-eth0"), table: "fo_frames_client_eth0", frames: .data, drop: true)
            ])
        #expect(steps[5] == [.setLinkState(Self.link("sw1", "br0"), up: false), .setLinkState(port, up: false)])
        #expect(steps[6] == [.setLinkState(port, up: true), .setLinkState(Self.link("sw1", "br0"), up: true)])
        // Not a LAG member: the bridge port state, as before.
        #expect(steps[7] == [.setBridgePortState(Self.link("sw1", "client-eth0"), forwarding: false)])
        #expect(playbook.steps[2].action.faultPolarity == .failure)
        #expect(playbook.steps[3].action.faultPolarity == .repair)
    }

    @Test("the nft commands of a frame filter: a netdev table with ingress and egress chains on the device")
    func nftText() {
        let lacpdu = RunOperation.filterFrames(
            port: NamespacedLink(namespace: "ns", name: "p1"), table: "t", frames: .lacpdu, drop: true)
        #expect(
            lacpdu.commands.map { $0.joined(separator: " ") } == [
                "ip netns exec ns nft add table netdev t",
                "ip netns exec ns nft add chain netdev t ingress { type filter hook ingress device p1 priority 0 ; }",
                "ip netns exec ns nft add rule netdev t ingress ether type 0x8809 drop",
                "ip netns exec ns nft add chain netdev t egress { type filter hook egress device p1 priority 0 ; }",
                "ip netns exec ns nft add rule netdev t egress ether type 0x8809 drop",
            ])
        #expect(
            RunOperation.nftNetdevCommands(port: "p1", table: "t", frames: .data, drop: true)[2]
                == ["nft", "add", "rule", "netdev", "t", "ingress", "ether", "type", "!=", "0x8809", "drop"])
        #expect(
            RunOperation.nftNetdevCommands(port: "p1", table: "t", frames: .all, drop: true)[2]
                == ["nft", "add", "rule", "netdev", "t", "ingress", "drop"])
        #expect(
            RunOperation.nftNetdevCommands(port: "p1", table: "t", frames: .all, drop: false) == [
                ["nft", "delete", "table", "netdev", "t"]
            ])
    }

    @Test(
        "bad LAGs and peer links are refused with file:line:column",
        arguments: [
            (
                "{po1: {ports: [client/eth0, server/eth0]}}", "sw1", "", "",
                "l.yaml:5:14: warning: topology.switches[0].lags.po1: the ports face client and server: each partner system gets its own aggregator and only one is active"
            ),
            (
                "{po1: {ports: [server/eth1]}}", "sw1", "", "",
                "l.yaml:5:28: error: topology.switches[0].lags.po1.ports: server/eth1 is cabled to sw2, not to sw1"
            ),
            (
                "{po1: {ports: [server/eth0]}, po2: {ports: [server/eth0]}}", "sw1", "", "",
                "l.yaml:5:57: error: topology.switches[0].lags.po2.ports: server/eth0 is already a port of LAG po1"
            ),
            (
                "{po1: {ports: [server/eth7]}}", "sw1", "", "",
                "l.yaml:5:28: error: topology.switches[0].lags.po1.ports: no cable from server/eth7 to a switch; cables to sw1: server/eth0, client/eth0"
            ),
            (
                "{po1: {ports: [server/eth0], mode: active-backup}}", "sw1", "", "",
                "l.yaml:5:48: error: topology.switches[0].lags.po1.mode: a LAG is 802.3ad (LACP) or balance-xor (static), found active-backup"
            ),
            (
                "{po1: {ports: [server/eth0], mode: balance-xor, lacp_rate: fast}}", "sw1", "", "",
                "l.yaml:5:61: error: topology.switches[0].lags.po1.lacp_rate: lacp_rate is an LACP option; a balance-xor LAG is static"
            ),
            (
                "{po1: {ports: [server/eth0], lacp_rte: fast}}", "sw1", "", "",
                "l.yaml:5:42: error: unknown key 'lacp_rte' in LAG po1; did you mean 'lacp_rate'?"
            ),
            (
                "{po1: {ports: [server/eth0]}}", "sw3", "", "",
                "l.yaml:6:30: error: topology.switches[1].peer_link: no switch sw3; switches: sw1, sw2"
            ),
            (
                "{po1: {ports: [server/eth0]}}", "sw2", "", "",
                "l.yaml:6:30: error: topology.switches[1].peer_link: a switch cannot have a peer link to itself"
            ),
            (
                "{po1: {ports: [server/eth0]}}", "sw1",
                "    - {name: sw3, peer_link: sw2}\n    - {name: sw4, peer_link: sw3}", "",
                ""
            ),
            (
                "{po1: {ports: [server/eth0]}}", "sw3",
                "    - {name: sw3, peer_link: sw4}\n    - {name: sw4, peer_link: sw2}", "",
                "l.yaml:8:30: error: topology.switches[3].peer_link: the peer link sw4–sw2 closes a loop of switches (bridges run without STP)"
            ),
        ])
    func refused(lags1: String, peer: String, extra: String, unused: String, message: String) {
        let diagnostics = Self.diagnostics(
            Self.yaml(lags1: lags1, lags2: "{po1: {ports: [server/eth1]}}", peer: peer, extraSwitch: extra))
        if message.isEmpty {
            #expect(diagnostics.isEmpty, "\(diagnostics)")
        } else {
            #expect(diagnostics.contains(message), "\(diagnostics)")
        }
    }

    @Test("drop_frames needs a known kind of frames and a cable to a switch")
    func dropFramesRefused() {
        let unknown = Self.diagnostics(Self.yaml(steps: "  - {drop_frames: {interface: server/eth0, frames: arp}}"))
        #expect(
            unknown.contains(
                "l.yaml:17:52: error: steps[0].drop_frames.frames: expected lacpdu (LACPDUs only), data (all but LACPDUs) or all, found 'arp'"
            ), "\(unknown)")
        let missing = Self.diagnostics(Self.yaml(steps: "  - {drop_frames: {interface: server/eth0}}"))
        #expect(missing.contains { $0.contains("drop_frames needs 'frames'") }, "\(missing)")
        let ok = Self.diagnostics(Self.yaml(steps: "  - {drop_frames: {interface: server/eth0, frames: lacpdu}}"))
        #expect(ok.isEmpty, "\(ok)")
    }
}
