import FailoverCore
import FailoverFamilies
import FailoverModel
import Testing

@testable import FailoverPlaybook

/// The decoding registry: the keys a step or an assertion may have ARE the registry's keys, and
/// each key decodes through its own entry (no switch to fall through into another kind).
@Suite("Family registry")
struct FamilyRegistryTests {
    static let registry = StandardFamilies.decoding
    static let head = """
        name: registry
        topology:
          switches: [sw1]
          carp: [{name: g1, vip: 198.18.0.100/24, vhid: 1, password: pw, members: [{node: client, interface: eth0}]}]
          hosts:
            client:
              cables: {eth0: sw1}
            server:
              cables: {eth0: sw1, eth1: sw1}
              bonds:
                bond0: {mode: active-backup, miimon: 100, slaves: [eth0, eth1]}
              address: {bond0: 198.18.0.1/24}
        probes: [{name: p1, from: client, to: server, start: manual}]
        captures: auto
        steps:
          - pull: server/eth0

        """

    /// One valid use of every assertion key, and the model key it must decode to.
    static let assertionSamples: [String: (body: String, model: String)] = [
        "active_slave": ("{bond: server/bond0, is: eth1}", "active_slave"),
        "bond_mode": ("{bond: server/bond0, is: active-backup}", "bond_mode"),
        "mii_status": ("{interface: server/eth0, is: down}", "mii_status"),
        "link_failures": ("{interface: server/eth0, at_least: 1}", "link_failures"),
        "carrier": ("{interface: server/eth0, is: down}", "carrier"),
        "mac": ("{interface: server/bond0, same_as: server/eth1}", "mac"),
        "admin_state": ("{interface: server/eth0, is: down}", "admin_state"),
        "loss": ("{probe: p1, at_most: 3}", "loss"),
        "no_loss": ("{probe: p1, scope: run}", "loss"),
        "outage": ("{probe: p1, at_most: 200ms}", "outage"),
        "reordered": ("{probe: p1, is: 0}", "reordered"),
        "option": ("{bond: server/bond0, name: updelay, is: 0}", "option"),
        "fdb": ("{switch: sw1, mac: {same_as: server/bond0}, port: server/eth1, within: 1s}", "fdb"),
        "neighbour": ("{host: client, ip: 198.18.0.1, mac: {same_as: server/bond0}, within: 1s}", "neighbour"),
        "vip_owner": ("{group: g1, is: [client]}", "vip_owner"),
        "master": ("{group: g1, is: none}", "master"),
        "orphan_vip": ("{group: g1, is: none}", "orphan_vip"),
        "single_master": ("{group: g1}", "single_master"),
        "split_brain": ("{group: g1}", "split_brain"),
        "frames": ("{capture: sw1:server-eth1, kind: garp, src_mac: {same_as: server/bond0}, is: 1}", "frames"),
        "first_frame": ("{capture: sw1/server-eth1, kind: unsolicited_na, within: 1s}", "first_frame"),
        "flow_placement": ("{probe: p1, bond: server/bond0}", "flow_placement"),
        "distribution": ("{probe: p1, bond: server/bond0, member: eth0, between: [30%, 70%]}", "distribution"),
        "flow_loss": ("{probe: p1, bond: server/bond0, member: eth0}", "flow_loss"),
        // The head's bond is active-backup: LACP assertions on it load with a warning.
        "lacp_aggregator": ("{bond: server/bond0, ports: [eth0], within: auto}", "lacp_aggregator"),
        "lacp_state": ("{interface: server/eth0, in_aggregator: true, within: 2s}", "lacp_state"),
    ]

    /// One valid use of every step key, and how the model spells the step.
    static let stepSamples: [String: (body: String, model: String)] = [
        "pull": ("server/eth1", "pull server/eth1"),
        "plug": ("server/eth1", "plug server/eth1"),
        "down": ("server/bond0", "down server/bond0"),
        "up": ("server/bond0", "up server/bond0"),
        "switch_down": ("sw1", "switch_down sw1"),
        "switch_up": ("sw1", "switch_up sw1"),
        "blackhole": ("server/eth1", "blackhole server/eth1"),
        "restore": ("server/eth1", "restore server/eth1"),
        "drop_frames": ("{interface: server/eth1, frames: lacpdu}", "drop_frames server/eth1 (lacpdu)"),
        "pass_frames": ("server/eth1", "pass_frames server/eth1"),
        "kill_peer": ("{group: g1, node: client}", "kill_peer g1/client"),
        "stop_peer": ("{group: g1, node: client}", "stop_peer g1/client"),
        "freeze": ("{group: g1, node: client}", "freeze g1/client"),
        "thaw": ("{group: g1, node: client}", "thaw g1/client"),
        "demote": ("{group: g1, node: client}", "demote g1/client"),
        "start_peer": ("{group: g1, node: client}", "start_peer g1/client"),
        "partition": ("{group: g1, node: client}", "partition g1/client"),
        "heal": ("{group: g1, node: client}", "heal g1/client"),
        "flap": (
            "{interface: server/eth1, times: 2, down: 200ms, up: 300ms}",
            "flap server/eth1 2 times (down 200ms, up 300ms)"
        ),
        "set": ("{bond: server/bond0, primary: eth1}", "set server/bond0 primary=eth1"),
        "hold": ("100ms", "hold 100ms"),
        "start_probe": ("p1", "start_probe p1"),
        "stop_probe": ("p1", "stop_probe p1"),
        "expect": ("{carrier: {interface: server/eth0, is: down}}", "expect carrier of server/eth0 is down"),
    ]

    func load(_ step: String) throws -> Playbook {
        try PlaybookLoader.load(yaml: Self.head + "  - " + step + "\n", file: "t.yaml").playbook
    }

    func diagnostics(_ step: String) -> [String] {
        do {
            _ = try PlaybookLoader.load(yaml: Self.head + "  - " + step + "\n", file: "t.yaml")
            return []
        } catch let error as PlaybookError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test("the registry has no key twice (a second entry would never be reached)")
    func keysAreUnique() {
        #expect(Set(Self.registry.assertionKeys).count == Self.registry.assertions.count)
        #expect(Set(Self.registry.stepKeys).count == Self.registry.allSteps.count)
    }

    @Test("no key belongs to two families, and every family has a name of its own")
    func noKeyInTwoFamilies() {
        var owner: [String: String] = [:]
        for family in StandardFamilies.all {
            for key in family.assertionEntries.map(\.key) + family.stepEntries.map(\.key) {
                #expect(owner[key] == nil, "\(key) is in \(owner[key] ?? "") and \(family.name)")
                owner[key] = family.name
            }
        }
        let controls = PlaybookDecoder.controlSteps.map(\.key)
        #expect(controls.allSatisfy { owner[$0] == nil }, "a family redefines a control step")
        #expect(Set(StandardFamilies.all.map(\.name)).count == StandardFamilies.all.count)
        // The registry is the families' entries, in the table's order.
        #expect(Self.registry.assertionKeys == StandardFamilies.all.flatMap { $0.assertionEntries.map(\.key) })
        #expect(Self.registry.stepKeys == StandardFamilies.all.flatMap { $0.stepEntries.map(\.key) } + controls)
    }

    @Test("each family's assertion keys decode to assertions its own evaluator checks; every model family has one")
    func keysDecodersEvaluatorsAgree() throws {
        #expect(Set(StandardFamilies.evaluators.evaluators.keys) == Set(AssertionFamilyID.allCases))
        for family in StandardFamilies.all {
            for key in family.assertionEntries.map(\.key) {
                let sample = try #require(Self.assertionSamples[key], "no sample for \(key)")
                let playbook = try load("expect: {\(key): \(sample.body)}")
                guard case .expect(let expectations) = try #require(playbook.steps.last).action,
                    let assertion = expectations.first?.assertion
                else {
                    Issue.record("\(key): not decoded as an expect step")
                    continue
                }
                #expect(family.evaluators[assertion.family] != nil, "\(key) of \(family.name): \(assertion.family)")
            }
        }
    }

    @Test("the loader knows only the families it is given; an assertion without an evaluator is errored")
    func registryIsAValue() async throws {
        let faultsOnly: [any Family] = [FaultStepFamily()]
        let yaml = Self.head + "  - expect: {carrier: {interface: server/eth0, is: down}}\n"
        #expect(throws: PlaybookError.self) {
            try PlaybookLoader.load(yaml: yaml, file: "t.yaml", registry: faultsOnly.decoding)
        }
        do {
            _ = try PlaybookLoader.load(yaml: yaml, file: "t.yaml", registry: faultsOnly.decoding)
        } catch let error as PlaybookError {
            #expect(
                error.diagnostics.map(\.description) == [
                    "t.yaml:17:14: error: unknown key 'carrier' in expect; valid keys: none"
                ])
        }
        #expect(
            try PlaybookLoader.load(yaml: yaml, file: "t.yaml", registry: StandardFamilies.decoding).warnings.isEmpty)
        let carrier = Assertion.carrier(InterfaceRef(host: "server", interface: "eth0"), expected: true)
        let up = InterfaceState(exists: true, adminUp: true, carrier: true, mac: nil)
        let unregistered = try await AssertionEvaluator.check(carrier, families: faultsOnly.evaluators) { _ in up }
        #expect(!unregistered.holds)
        #expect(unregistered.error == "no evaluator registered for family interface_state (carrier)")
        let registered = try await AssertionEvaluator.check(carrier, families: StandardFamilies.evaluators) { _ in up }
        #expect(registered.holds && registered.error == nil)
    }

    @Test("every registered assertion key decodes through its own entry to its own kind")
    func everyAssertionKeyDecodes() throws {
        // A kind added to the registry without a sample here fails this line.
        #expect(Set(Self.assertionSamples.keys) == Set(Self.registry.assertionKeys))
        for key in Self.registry.assertionKeys {
            let sample = try #require(Self.assertionSamples[key], "no sample for \(key)")
            let playbook = try load("expect: {\(key): \(sample.body)}")
            guard case .expect(let expectations) = try #require(playbook.steps.last).action else {
                Issue.record("\(key): not decoded as an expect step")
                continue
            }
            #expect(expectations.map(\.assertion.key) == [sample.model], "\(key)")
        }
    }

    @Test("every registered step key decodes through its own entry to its own step")
    func everyStepKeyDecodes() throws {
        #expect(Set(Self.stepSamples.keys) == Set(Self.registry.stepKeys))
        for key in Self.registry.stepKeys {
            let sample = try #require(Self.stepSamples[key], "no sample for \(key)")
            let playbook = try load("\(key): \(sample.body)")
            #expect(playbook.steps.count == 2, "\(key)")
            #expect(playbook.steps.last?.action.description == sample.model, "\(key)")
        }
    }

    @Test("fault step references are checked on the model, whatever front end built it")
    func faultStepsCheckedOnTheModel() throws {
        var playbook = try load("hold: 1ms")
        let checker = PlaybookChecker(stepCheckers: Self.registry.checkers)
        #expect(checker.check(playbook).isEmpty)
        // Steps an importer produced: no marks, so diagnostics fall back to the step's location.
        let at = SourceLocation(file: "imported", line: 3, column: 1)
        playbook.steps = [
            Step(.pull(InterfaceRef(host: "server", interface: "eth9")), location: at),
            Step(.down(InterfaceRef(host: "server", interface: "bond0")), location: at),
            Step(.switchUp("sw9"), location: at),
            Step(.blackhole(InterfaceRef(host: "nohost", interface: "eth0")), location: at),
        ]
        #expect(
            checker.check(playbook).map(\.description) == [
                "imported:3:1: error: steps[0]: no cable server/eth9; cables of server: eth0, eth1",
                "imported:3:1: error: steps[2]: no switch sw9; switches: sw1",
                "imported:3:1: error: steps[3]: no host nohost; hosts: client, server",
            ])
    }

    @Test("admin_state: up or down of an interface of the host, timed like carrier")
    func adminState() throws {
        let playbook = try load(
            "expect: {admin_state: {interface: server/bond0, is: down, not_before: 10ms, within: 1s}}")
        guard case .expect(let members) = try #require(playbook.steps.last).action, let member = members.first else {
            Issue.record("admin_state not decoded as an expect step")
            return
        }
        #expect(members.count == 1)
        #expect(member.assertion == .adminState(InterfaceRef(host: "server", interface: "bond0"), expected: false))
        #expect(member.wait == .within(.seconds(1)))
        #expect(member.notBefore == .milliseconds(10))
        #expect(
            diagnostics("expect: {admin_state: {interface: server/eth0, is: sideways}}") == [
                "t.yaml:17:56: error: steps[1].expect.admin_state.is: expected up or down, found 'sideways'"
            ])
        #expect(
            diagnostics("expect: {admin_state: {interface: server/eth7, is: up}}") == [
                "t.yaml:17:39: error: steps[1].expect.admin_state.interface: no interface server/eth7; "
                    + "interfaces of server: eth0, eth1, bond0"
            ])
    }

    @Test("an unregistered assertion or step key is a load-time error at its line and column")
    func unregisteredKeyIsAnError() {
        #expect(
            diagnostics("expect: {arp_cache: {interface: server/eth0, is: up}}") == [
                "t.yaml:17:14: error: unknown key 'arp_cache' in expect; valid keys: "
                    + Self.registry.assertionKeys.joined(separator: ", ")
            ])
        #expect(
            diagnostics("cut_power: server/eth0") == [
                "t.yaml:17:5: error: unknown key 'cut_power' in step 2 (steps[1]); valid keys: "
                    + Self.registry.stepKeys.joined(separator: ", ")
            ])
    }

    @Test(
        "each assertion's timing keys follow its entry: a window on a timeline kind, refused (at its value) on a figure"
    )
    func timingFollowsTheEntry() {
        #expect(diagnostics("expect: {carrier: {interface: server/eth0, is: down, throughout: 1s}}") == [])
        #expect(
            diagnostics("expect: {loss: {probe: p1, at_most: 0, throughout: 1s}}") == [
                "t.yaml:17:56: error: steps[1].expect.loss.throughout: not allowed on loss: probe figures are "
                    + "measured over a scope, not on a timeline"
            ])
    }
}
