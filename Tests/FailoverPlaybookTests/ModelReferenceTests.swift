import FailoverFamilies
import FailoverModel
import FailoverPlaybook
import Testing

/// References are checked on the model by the families' checks, not while reading YAML: a model
/// built in code (an importer's) with a bad reference gets the diagnostic a playbook gets.
@Suite("References checked on the model")
struct ModelReferenceTests {
    static let checker = PlaybookChecker(stepCheckers: StandardFamilies.decoding.checkers)
    static func server(_ interface: String) -> InterfaceRef { InterfaceRef(host: "server", interface: interface) }

    /// The registry tests' playbook (server: bond0 over eth0, eth1; client: eth0; probe p1), its
    /// first step `pull: server/eth0`, and `step` second.
    func yamlMessages(_ step: String) -> [String] {
        do {
            let loaded = try PlaybookLoader.load(
                yaml: FamilyRegistryTests.head + "  - " + step + "\n", file: "t.yaml")
            return loaded.warnings.map(\.message)
        } catch let error as PlaybookError {
            return error.diagnostics.map(\.message)
        } catch {
            return ["\(error)"]
        }
    }

    /// The same playbook with `action` second, built in code: no marks, no locations.
    func modelMessages(_ action: StepAction) throws -> [String] {
        var playbook = try PlaybookLoader.load(yaml: FamilyRegistryTests.head, file: "t.yaml").playbook
        playbook.steps = [Step(.pull(Self.server("eth0"))), Step(action)]
        return Self.checker.check(playbook).map(\.message)
    }

    static let cases: [(yaml: String, model: StepAction, message: String?)] = [
        (
            "expect: {carrier: {interface: server/eth7, is: up}}",
            .expect([Expectation(.carrier(server("eth7"), expected: true))]),
            "steps[1].expect.carrier.interface: no interface server/eth7; interfaces of server: eth0, eth1, bond0"
        ),
        (
            "expect: {carrier: {interface: server/eth1, is: up}}",
            .expect([Expectation(.carrier(server("eth1"), expected: true))]), nil
        ),
        (
            "expect: {active_slave: {bond: server/bond0, is: eth7}}",
            .expect([Expectation(.activeSlave(bond: server("bond0"), expected: "eth7"))]),
            "steps[1].expect.active_slave.is: eth7 is not a slave of server/bond0; slaves: eth0, eth1, or none"
        ),
        (
            "expect: {active_slave: {bond: server/bond0, is: eth1}}",
            .expect([Expectation(.activeSlave(bond: server("bond0"), expected: "eth1"))]), nil
        ),
        (
            "expect: {bond_mode: {bond: server/eth0, is: active-backup}}",
            .expect([Expectation(.bondMode(server("eth0"), expected: .activeBackup))]),
            "steps[1].expect.bond_mode.bond: no bond server/eth0; bonds of server: bond0"
        ),
        (
            "expect: {link_failures: {interface: client/eth0, is: 0}}",
            .expect([Expectation(.linkFailures(InterfaceRef(host: "client", interface: "eth0"), .equals(0)))]),
            "steps[1].expect.link_failures.interface: client/eth0 is not a bond slave"
        ),
        (
            "expect: {mac: {interface: server/bond0, permanent_of: server/bond0}}",
            .expect([Expectation(.mac(server("bond0"), expected: .permanentOf(server("bond0"))))]),
            "steps[1].expect.mac.permanent_of: server/bond0 is not a bond slave"
        ),
        (
            "expect: {loss: {probe: p9, at_most: 0}}",
            .expect([Expectation(.loss(probe: "p9", .lastFault, .atMost(0)))]),
            "steps[1].expect.loss.probe: no probe p9; probes: p1"
        ),
        (
            "expect: {option: {bond: nohost/bond0, name: updelay, is: 0}}",
            .expect([
                Expectation(
                    .option(bond: InterfaceRef(host: "nohost", interface: "bond0"), name: "updelay", expected: "0"))
            ]),
            "steps[1].expect.option.bond: no host nohost; hosts: client, server"
        ),
        (
            "set: {bond: server/bond9, updelay: 0}",
            .set(bond: server("bond9"), option: "updelay", value: "0"),
            "steps[1].set.bond: no bond server/bond9; bonds of server: bond0"
        ),
        (
            "set: {bond: server/bond0, primary: eth7}",
            .set(bond: server("bond0"), option: "primary", value: "eth7"),
            "steps[1].set.primary: eth7 is not a slave of server/bond0; slaves: eth0, eth1"
        ),
        (
            "set: {bond: server/bond0, primary: eth1}",
            .set(bond: server("bond0"), option: "primary", value: "eth1"), nil
        ),
        ("stop_probe: p9", .stopProbe("p9"), "steps[1].stop_probe: no probe p9; probes: p1"),
        ("stop_probe: p1", .stopProbe("p1"), nil),
    ]

    @Test("a bad reference gets the same message from YAML and from a model built in code; a good one none")
    func sameDiagnostic() throws {
        for (yaml, model, message) in Self.cases {
            let expected = message.map { [$0] } ?? []
            #expect(yamlMessages(yaml) == expected, "\(yaml)")
            #expect(try modelMessages(model) == expected, "\(yaml)")
        }
    }

    @Test("scope last_fault needs a fault step before it in a model built in code (one after a fault passes)")
    func lastFaultScope() throws {
        var playbook = try PlaybookLoader.load(yaml: FamilyRegistryTests.head, file: "t.yaml").playbook
        let loss = Step(.expect([Expectation(.loss(probe: "p1", .lastFault, .atMost(0)))]))
        playbook.steps = [loss, Step(.pull(Self.server("eth0"))), loss]
        #expect(
            Self.checker.check(playbook).map(\.message) == [
                "steps[0].expect.loss: scope last_fault needs a fault step before this expect (or use scope: run)"
            ])
    }

    @Test("a cable to a missing switch or host is found on the model, with the playbook's wording")
    func cableFarEnd() throws {
        var playbook = try PlaybookLoader.load(yaml: FamilyRegistryTests.head, file: "t.yaml").playbook
        let eth0 = InterfaceRef(host: "client", interface: "eth0")
        // The head's `captures: auto` would also name the moved port: this test is about the cable.
        playbook.captures = []
        playbook.topology.cables = playbook.topology.cables.map { cable in
            cable.a == eth0 ? Cable(a: eth0, b: .switch("server")) : cable
        }
        #expect(
            Self.checker.check(playbook).map(\.message) == [
                "topology.hosts.client.cables.eth0: no switch server (server is a host: write server/<interface>); "
                    + "switches: sw1"
            ])
        #expect(
            yamlMessages("hold: 1ms").isEmpty
                && loadMessages(
                    FamilyRegistryTests.head.replacing("cables: {eth0: sw1}", with: "cables: {eth0: server}")
                        .replacing("captures: auto\n", with: ""))
                    == [
                        "topology.hosts.client.cables.eth0: no switch server (server is a host: write server/<interface>); "
                            + "switches: sw1"
                    ]
        )
    }

    func loadMessages(_ yaml: String) -> [String] {
        do {
            return try PlaybookLoader.load(yaml: yaml, file: "t.yaml").warnings.map(\.message)
        } catch let error as PlaybookError {
            return error.diagnostics.map(\.message)
        } catch {
            return ["\(error)"]
        }
    }
}
