import FailoverFamilies
import FailoverModel
import FailoverPlaybook
import Testing

/// The checker works on the model alone: a front end other than YAML (an importer of ifupdown,
/// netplan, …) builds a `Playbook` in code, with its own locations, and gets the same checks.
@Suite("PlaybookChecker on a model built in code")
struct CheckerTests {
    static func at(_ line: Int, _ column: Int, _ path: String) -> SourceMark {
        SourceMark(location: SourceLocation(file: "interfaces", line: line, column: column), path: path)
    }

    /// server/bond0 over server/eth0 (cabled to sw1) and `slave` (eth0 or a dangling one),
    /// with `address` on the bond.
    static func imported(slave: String, address: String) throws -> Playbook {
        let address = try #require(InterfaceAddress(address))
        let bond = Bond(
            name: "bond0", mode: .activeBackup, slaves: ["eth0", slave],
            location: SourceLocation(file: "interfaces", line: 10, column: 1),
            marks: SourceMarks([
                "mode": at(11, 3, "bond0 bond-mode"), "slave:\(slave)": at(12, 20, "bond0 bond-slaves"),
            ]))
        let host = Host(
            name: "server", interfaces: ["eth0", "eth1"], bonds: [bond],
            addresses: [
                InterfaceAddresses(
                    interface: "bond0", addresses: [address],
                    marks: SourceMarks(["address[0]": at(14, 11, "bond0 address")]))
            ],
            location: SourceLocation(file: "interfaces", line: 1, column: 1))
        let topology = Topology(
            switches: [Switch(name: "sw1")], hosts: [host],
            cables: [
                Cable(a: InterfaceRef(host: "server", interface: "eth0"), b: .switch("sw1")),
                Cable(a: InterfaceRef(host: "server", interface: "eth1"), b: .switch("sw1")),
            ])
        return Playbook(
            name: "imported", topology: topology,
            steps: [
                Step(
                    .pull(InterfaceRef(host: "server", interface: "eth7")),
                    location: SourceLocation(file: "interfaces", line: 30, column: 7))
            ], file: "interfaces")
    }

    @Test("a bad reference and a bad address are both reported, at the locations the importer gave")
    func importerErrors() throws {
        let diagnostics = PlaybookChecker().check(try Self.imported(slave: "eth9", address: "10.0.0.1/24"))
        #expect(
            diagnostics.map(\.description) == [
                "interfaces:12:20: error: topology.hosts.server.bonds.bond0.slaves: no cable server/eth9; cables of server: eth0, eth1",
                "interfaces:14:11: error: bond0 address: 10.0.0.1/24 is outside the benchmark ranges; playbooks use "
                    + "198.18.0.0/15 and 2001:2::/48 only (set allow_any_addresses: true to override)",
            ])
    }

    @Test("the same model with a cabled slave and a benchmark address has no problem")
    func importerClean() throws {
        #expect(PlaybookChecker().check(try Self.imported(slave: "eth1", address: "198.18.0.1/24")).isEmpty)
        // Just outside 198.18.0.0/15 on either side: 198.17.255.255 and 198.20.0.0.
        for outside in ["198.17.255.255/24", "198.20.0.0/24"] {
            #expect(PlaybookChecker().check(try Self.imported(slave: "eth1", address: outside)).count == 1)
        }
        // Just inside: the last address of 198.19.0.0/16.
        #expect(PlaybookChecker().check(try Self.imported(slave: "eth1", address: "198.19.255.255/24")).isEmpty)
        let allowed = PlaybookChecker(allowAnyAddresses: true)
        #expect(allowed.check(try Self.imported(slave: "eth1", address: "10.0.0.1/24")).isEmpty)
    }

    @Test("step checkers plug in and use the shared reference checks")
    func stepCheckers() throws {
        let pulls = StepCheck { step, index, context in
            guard case .pull(let ref) = step.action else { return }
            let location = context.index.location(step.location)
            context.requireCableEnd(ref, at: SourceMark(location: location, path: "steps[\(index)].pull"))
        }
        let checker = PlaybookChecker(stepCheckers: [pulls])
        let diagnostics = checker.check(try Self.imported(slave: "eth1", address: "198.18.0.1/24"))
        #expect(
            diagnostics.map(\.description) == [
                "interfaces:30:7: error: steps[0].pull: no cable server/eth7; cables of server: eth0, eth1"
            ])
    }

    @Test("an index answers lookups with the objects and their locations")
    func index() throws {
        let index = TopologyIndex(try Self.imported(slave: "eth1", address: "198.18.0.1/24"))
        let eth1 = InterfaceRef(host: "server", interface: "eth1")
        #expect(index.bondOfSlave(eth1)?.name == "bond0")
        #expect(index.bondOfSlave(InterfaceRef(host: "server", interface: "eth7")) == nil)
        #expect(index.bond(at: InterfaceRef(host: "server", interface: "bond0"))?.location?.line == 10)
        #expect(index.cable(at: eth1)?.b == .switch("sw1"))
        #expect(index.interfaceNames(of: "server") == ["eth0", "eth1", "bond0"])
        #expect(index.host("client") == nil)
    }

    @Test("mode warnings come from the model: an option the mode ignores")
    func modeWarning() throws {
        var playbook = try Self.imported(slave: "eth1", address: "198.18.0.1/24")
        playbook.topology.hosts[0].bonds[0].options.xmitHashPolicy = .layer34
        playbook.topology.hosts[0].bonds[0].marks["option:xmit_hash_policy"] = Self.at(13, 3, "bond0 bond-xmit")
        #expect(
            PlaybookChecker().check(playbook).map(\.description) == [
                "interfaces:13:3: warning: bond server/bond0: 'xmit_hash_policy' is ignored in mode active-backup "
                    + "(it applies to balance-xor, 802.3ad, balance-tlb)"
            ])
        playbook.topology.hosts[0].bonds[0].mode = .balanceXOR
        #expect(PlaybookChecker().check(playbook).isEmpty)
    }
}

@Suite("PlaybookChecker: names, duplicates and cable ends of a model built in code")
struct CheckerObjectTests {
    @Test("bad names, a duplicate switch, a cable to nowhere and a doubly cabled end are each reported")
    func objects() {
        let here = SourceLocation(file: "netplan.yaml", line: 3, column: 5)
        let cableMarks = SourceMarks([
            "a": SourceMark(location: here, path: "ethernets.eth0"),
            "b": SourceMark(location: SourceLocation(file: "netplan.yaml", line: 4, column: 9), path: "ethernets.eth0"),
        ])
        let topology = Topology(
            switches: [Switch(name: "sw1"), Switch(name: "sw1")],
            hosts: [
                Host(name: "Server", interfaces: ["eth0"]),
                Host(
                    name: "h1", interfaces: ["eth0", "eth 1"],
                    bonds: [Bond(name: "bond0", mode: .activeBackup, slaves: ["eth0"])]),
            ],
            cables: [
                Cable(a: InterfaceRef(host: "h1", interface: "eth0"), b: .switch("sw9"), marks: cableMarks),
                Cable(a: InterfaceRef(host: "h1", interface: "eth0"), b: .switch("sw1")),
            ])
        let playbook = Playbook(name: "x", topology: topology, steps: [], file: "netplan.yaml")
        #expect(
            PlaybookChecker().check(playbook).map(\.description) == [
                "netplan.yaml:1:1: error: topology.switches[1]: switch sw1 is declared twice",
                "netplan.yaml:1:1: error: topology.hosts.Server: host name 'Server' must match [a-z0-9][a-z0-9_-]*",
                "netplan.yaml:1:1: error: topology.hosts.h1.cables.eth 1: interface name 'eth 1' must not contain '/', ':' or spaces",
                "netplan.yaml:4:9: error: topology.hosts.h1.cables.eth0: no switch sw9; switches: sw1, sw1",
                "netplan.yaml:1:1: error: topology.hosts.h1.cables.eth0: h1/eth0 already has a cable",
            ])
        // The same model, repaired, has no problem.
        var fixed = playbook
        fixed.topology.switches.removeLast()
        fixed.topology.hosts[0].name = "server"
        fixed.topology.hosts[1].interfaces = ["eth0"]
        fixed.topology.cables.removeFirst()
        #expect(PlaybookChecker().check(fixed).isEmpty)
    }
}
