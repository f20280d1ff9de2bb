import FailoverFamilies
import FailoverModel
import FailoverPlaybook
import Foundation
import Testing

@Suite("Loader decodes every step and assertion kind")
struct LoaderRoundTripTests {
    static let sketch: Playbook? = {
        guard let yaml = try? Fixtures.read(Fixtures.fixtures.appendingPathComponent("plan/sketch.yaml")) else {
            return nil
        }
        return try? PlaybookLoader.load(yaml: yaml, file: "sketch.yaml").playbook
    }()

    let server0 = InterfaceRef(host: "server", interface: "eth0")
    let server1 = InterfaceRef(host: "server", interface: "eth1")
    let bond = InterfaceRef(host: "server", interface: "bond0")

    @Test("steps decode to the model, in order, with locations")
    func steps() throws {
        let playbook = try #require(Self.sketch)
        let actions = playbook.steps.map(\.action)
        #expect(actions[0] == .startProbe("p1"))
        #expect(
            actions[1]
                == .expect([
                    Expectation(
                        .activeSlave(bond: bond, expected: "eth0"),
                        location: SourceLocation(file: "sketch.yaml", line: 22, column: 14))
                ]))
        #expect(actions[2] == .pull(server0))
        #expect(actions[5] == .plug(server0))
        #expect(actions[6] == .hold(.milliseconds(1500)))
        #expect(actions[7] == .switchDown("sw1"))
        #expect(actions[8] == .switchUp("sw1"))
        #expect(actions[9] == .blackhole(server1))
        #expect(actions[10] == .restore(server1))
        // One `set` with two options becomes two steps at the same location.
        #expect(actions[11] == .set(bond: bond, option: "active_slave", value: "eth1"))
        #expect(actions[12] == .set(bond: bond, option: "peer_notif_delay", value: "200"))
        #expect(playbook.steps[11].location == playbook.steps[12].location)
        #expect(actions[13] == .down(server0))
        #expect(actions[14] == .up(server0))
        #expect(actions[15] == .stopProbe("p1"))
        #expect(playbook.steps[2].location == SourceLocation(file: "sketch.yaml", line: 23, column: 5))
    }

    @Test("assertions decode with their waits")
    func assertions() throws {
        let playbook = try #require(Self.sketch)
        guard case .expect(let single) = playbook.steps[3].action, case .expect(let many) = playbook.steps[4].action
        else {
            Issue.record("steps 3 and 4 are expects")
            return
        }
        #expect(single.map(\.assertion) == [.activeSlave(bond: bond, expected: "eth1")])
        #expect(single.map(\.wait) == [.within(.milliseconds(500))])
        #expect(
            many.map(\.assertion) == [
                .miiStatus(server0, expected: .down),
                .linkFailures(server0, .atLeast(1)),
                .carrier(bond, expected: true),
                .mac(bond, expected: .literal(try #require(MACAddress("02:00:00:00:00:01")))),
                .loss(probe: "p1", .lastFault, .atMost(50)),
                .outage(probe: "p1", .lastFault, .timestamp, atMost: .milliseconds(300)),
                .reordered(probe: "p1", .run, .equals(0)),
            ])
        #expect(many.map(\.wait) == [.derived, .immediate, .immediate, .immediate, .immediate, .immediate, .immediate])
        #expect(many[0].location == SourceLocation(file: "sketch.yaml", line: 26, column: 10))
    }

    @Test("bond_mode: by name or number; an unknown mode is an error at its value")
    func bondMode() throws {
        let text = """
            name: modes
            topology:
              switches: [sw]
              hosts:
                server:
                  cables: {eth0: sw, eth1: sw}
                  bonds: {bond0: {mode: 2, slaves: [eth0, eth1]}}
            steps:
              - expect: {bond_mode: {bond: server/bond0, is: balance-xor}}
              - expect: {bond_mode: {bond: server/bond0, is: 4}}

            """
        let loaded = try PlaybookLoader.load(yaml: text, file: "modes.yaml")
        let assertions = loaded.playbook.steps.compactMap { step -> Assertion? in
            if case .expect(let list) = step.action { return list.first?.assertion }
            return nil
        }
        let bond = InterfaceRef(host: "server", interface: "bond0")
        #expect(assertions == [.bondMode(bond, expected: .balanceXOR), .bondMode(bond, expected: .ieee8023ad)])
        let bad = text.replacingOccurrences(of: "is: 4}", with: "is: balance-foo}")
        #expect(throws: PlaybookError.self) { try PlaybookLoader.load(yaml: bad, file: "modes.yaml") }
        do {
            _ = try PlaybookLoader.load(yaml: bad, file: "modes.yaml")
        } catch let error as PlaybookError {
            #expect(
                error.diagnostics.map(\.description).first?.hasPrefix(
                    "modes.yaml:10:50: error: steps[1].expect.bond_mode.is: unknown bond mode 'balance-foo'") == true,
                "\(error)")
        }
    }

    @Test("not_before, throughout and never decode to their waits, measured from the step start")
    func timingKeys() throws {
        let text = """
            name: timing
            topology:
              switches: [sw]
              hosts:
                server:
                  cables: {eth0: sw, eth1: sw}
                  bonds: {bond0: {mode: active-backup, miimon: 100, updelay: 500, slaves: [eth0, eth1]}}
            steps:
              - expect:
                  - active_slave: {bond: server/bond0, is: eth0, not_before: 500ms, within: 800ms}
                  - mii_status: {interface: server/eth1, is: up, throughout: 1s}
                  - active_slave: {bond: server/bond0, is: eth1, never: 2s}
                  - carrier: {interface: server/eth0, is: up, not_before: 100ms, within: auto}

            """
        let loaded = try PlaybookLoader.load(yaml: text, file: "timing.yaml")
        guard case .expect(let list) = loaded.playbook.steps.first?.action else {
            Issue.record("one expect step")
            return
        }
        #expect(
            list.map(\.wait) == [.within(.milliseconds(800)), .throughout(.seconds(1)), .never(.seconds(2)), .derived])
        #expect(list.map(\.notBefore) == [.milliseconds(500), nil, nil, .milliseconds(100)])
        #expect(list[0].description == "active_slave of server/bond0 is eth0 not before 500ms within 800ms")
        #expect(list[1].description == "mii_status of server/eth1 is up throughout 1s")
        #expect(list[2].description == "active_slave of server/bond0 is eth1 never in 2s")
    }

    @Test("no_loss is loss == 0 in the given scope")
    func noLoss() throws {
        let text = """
            name: probe
            topology:
              switches: [sw]
              hosts:
                a: {cables: {eth0: sw}}
                b: {cables: {eth0: sw}}
            probes:
              - {name: p1, from: a, to: b}
            steps:
              - expect: {no_loss: {probe: p1, scope: run}}
              - pull: a/eth0
              - expect: {no_loss: {probe: p1}}

            """
        let loaded = try PlaybookLoader.load(yaml: text, file: "probe.yaml")
        let assertions = loaded.playbook.steps.compactMap { step -> Assertion? in
            if case .expect(let list) = step.action { return list.first?.assertion }
            return nil
        }
        #expect(assertions == [.loss(probe: "p1", .run, .equals(0)), .loss(probe: "p1", .lastFault, .equals(0))])
    }

    @Test("topology, bond options, probes")
    func topology() throws {
        let playbook = try #require(Self.sketch)
        #expect(playbook.name == "active-backup, pull and plug both slaves")
        #expect(playbook.seed == "001 — after a pull the other slave takes over")
        #expect(playbook.references == ["bonding.rst §3"])
        #expect(playbook.topology.switches.map(\.name) == ["sw1", "sw2"])
        #expect(playbook.topology.hosts.map(\.name) == ["server", "client"])
        #expect(playbook.topology.cables.count == 4)
        let server = try #require(playbook.topology.host(named: "server"))
        #expect(server.interfaces == ["eth0", "eth1"])
        #expect(server.macs["eth1"] == MACAddress("02:00:00:00:01:02"))
        let bond0 = try #require(server.bonds.first)
        #expect(bond0.mode == .activeBackup)
        #expect(bond0.slaves == ["eth0", "eth1"])
        #expect(bond0.mac == MACAddress("02:00:00:00:00:01"))
        #expect(bond0.options.miimon == 100)
        #expect(bond0.options.updelay == 200)
        #expect(bond0.options.primary == "eth0")
        #expect(bond0.options.primaryReselect == .always)
        #expect(bond0.options.slavePrio == ["eth0": 10])
        #expect(bond0.options.numPeerNotif == 2)
        #expect(bond0.options.peerNotifDelay == 100)
        #expect(server.addresses(of: "bond0").map(\.description) == ["198.18.0.1/24"])
        #expect(server.routes.count == 1 && server.routes[0].destination == nil)
        #expect(server.routes.first?.via?.description == "198.18.0.254")
        let probe = try #require(playbook.probes.first)
        #expect(probe.name == "p1" && probe.from == "client" && probe.to == "server")
        #expect(probe.rate == 10_000 && probe.payloadSize == 64 && probe.flows == 4 && probe.port == 40_000)
        #expect(probe.direction == .both && !probe.autoStart)
    }

    @Test("all bond options in kernel spelling, enum values by name or number")
    func allOptions() throws {
        let yaml = """
            name: every option
            topology:
              switches: [sw1]
              hosts:
                server:
                  cables: {eth0: sw1, eth1: sw1}
                  bonds:
                    bond0:
                      mode: 1
                      miimon: 100ms
                      updelay: 200
                      downdelay: 0
                      use_carrier: 1
                      arp_interval: 0
                      arp_ip_target: [198.18.0.2, 198.18.0.3]
                      ns_ip6_target: 2001:2::2
                      arp_validate: 3
                      arp_all_targets: all
                      arp_missed_max: 255
                      primary: eth1
                      primary_reselect: 2
                      fail_over_mac: follow
                      num_grat_arp: 3
                      num_unsol_na: 3
                      peer_notif_delay: 300000
                      all_slaves_active: false
                      resend_igmp: 0
                      slaves: [eth0, eth1]
                      prio: {eth0: -2147483648, eth1: 2147483647}
            steps:
              - set: {bond: server/bond0, arp_validate: filter, lacp_rate: 1, active_slave: none, primary: eth0}
            """
        let loaded = try PlaybookLoader.load(yaml: yaml, file: "all.yaml")
        let bond = try #require(loaded.playbook.topology.hosts.first?.bonds.first)
        let options = bond.options
        #expect(bond.mode == .activeBackup)
        #expect(options.miimon == 100 && options.updelay == 200 && options.downdelay == 0)
        #expect(options.useCarrier == true && options.arpInterval == 0)
        #expect(options.arpIPTargets.map(\.description) == ["198.18.0.2", "198.18.0.3"])
        #expect(options.nsIP6Targets.map(\.description) == ["2001:2::2"])
        #expect(options.arpValidate == .all && options.arpAllTargets == .all && options.arpMissedMax == 255)
        #expect(options.primary == "eth1" && options.primaryReselect == .failure && options.failOverMAC == .follow)
        #expect(options.numPeerNotif == 3 && options.peerNotifDelay == 300_000)
        #expect(options.allSlavesActive == false && options.resendIGMP == 0)
        #expect(options.slavePrio == ["eth0": Int32.min, "eth1": Int32.max])
        #expect(
            loaded.playbook.steps.map(\.action) == [
                .set(bond: InterfaceRef(host: "server", interface: "bond0"), option: "arp_validate", value: "filter"),
                .set(bond: InterfaceRef(host: "server", interface: "bond0"), option: "lacp_rate", value: "fast"),
                .set(bond: InterfaceRef(host: "server", interface: "bond0"), option: "active_slave", value: ""),
                .set(bond: InterfaceRef(host: "server", interface: "bond0"), option: "primary", value: "eth0"),
            ])
        // 802.3ad-only lacp_rate in an active-backup `set` is not warned about (runtime sets are taken as written);
        // both ARP and MII monitors set? arp_interval is 0 here, so no warning about monitors.
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
    }

    @Test("default addresses: one switched segment in declaration order, a /24 per host-to-host cable")
    func defaultAddresses() throws {
        let yaml = """
            name: defaults
            topology:
              switches: [sw1]
              hosts:
                server:
                  cables: {eth0: sw1, eth1: sw1, eth2: router/eth0}
                  bonds: {bond0: {mode: active-backup, miimon: 100, slaves: [eth0, eth1]}}
                client:
                  cables: {eth0: sw1}
                other:
                  cables: {eth0: sw1}
                  address: {eth0: 198.18.0.2/24}
                router: {}
            steps:
              - hold: 1ms
            """
        let topology = try PlaybookLoader.load(yaml: yaml, file: "d.yaml").playbook.topology
        func addresses(_ host: String, _ interface: String) -> [String] {
            topology.host(named: host)?.addresses(of: interface).map(\.description) ?? []
        }
        #expect(addresses("server", "bond0") == ["198.18.0.1/24", "2001:2::1/64"])
        #expect(addresses("client", "eth0") == ["198.18.0.3/24", "2001:2::3/64"])  // .2 is taken by `other`
        #expect(addresses("other", "eth0") == ["198.18.0.2/24"])
        #expect(addresses("server", "eth2") == ["198.18.1.1/24", "2001:2:0:1::1/64"])
        #expect(addresses("router", "eth0") == ["198.18.1.2/24", "2001:2:0:1::2/64"])
        #expect(addresses("server", "eth0").isEmpty)  // a slave is never addressed
        #expect(topology.host(named: "router")?.interfaces == ["eth0"])
    }

    @Test("allow_any_addresses lifts the benchmark-range rule")
    func allowAnyAddresses() throws {
        let yaml = """
            name: real addresses on purpose
            allow_any_addresses: true
            topology:
              switches: [sw1]
              hosts:
                server: {cables: {eth0: sw1}, address: {eth0: 10.1.2.3/24}}
            steps:
              - hold: 1ms
            """
        let playbook = try PlaybookLoader.load(yaml: yaml, file: "a.yaml").playbook
        #expect(playbook.topology.hosts[0].addresses(of: "eth0").map(\.description) == ["10.1.2.3/24"])
    }

    @Test("a diagnostic prints as file:line:column: severity: message")
    func diagnosticFormat() {
        let diagnostic = Diagnostic(
            severity: .error, location: SourceLocation(file: "Playbooks/x.yaml", line: 4, column: 14),
            message: "steps[0].pull: no cable server/eth7; cables of server: eth0, eth1")
        #expect(
            diagnostic.description
                == "Playbooks/x.yaml:4:14: error: steps[0].pull: no cable server/eth7; cables of server: eth0, eth1")
    }
}
