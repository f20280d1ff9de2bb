import FailoverCore
import FailoverModel
import FailoverNetlink
import Testing

@testable import FailoverLinux

@Suite("ledger ordering")
struct LedgerTests {
    func op(_ operation: RunOperation) -> PlannedOperation { PlannedOperation(operation, location: nil) }
    func link(_ namespace: String, _ name: String) -> NamespacedLink {
        NamespacedLink(namespace: namespace, name: name)
    }

    @Test("undo is newest first; contents of recorded namespaces are left to the namespace deletion")
    func order() async {
        let ledger = BackendLedger()
        let executed = [
            op(.createNamespace(role: "sw1", namespace: "fo000001-sw1")),
            op(.createNamespace(role: "h1", namespace: "fo000001-h1")),
            op(.setLinkState(link("fo000001-h1", "lo"), up: true)),
            op(.createBridge(namespace: "fo000001-sw1", name: "br0", stp: false, forwardDelay: 0)),
            op(.createVeth(namespace: "fo000001-sw1", name: "h1-eth0", peerNamespace: "fo000001-h1", peerName: "eth0")),
            op(.createBond(link("elsewhere", "x0"), mode: .activeBackup, options: BondOptions(), mac: nil)),
        ]
        for operation in executed { await ledger.record(operation) }
        #expect(await ledger.executed == executed)
        #expect(await ledger.entries.count == 6)
        let plan = await ledger.takeUndoPlan()
        #expect(
            plan == [.link(namespace: "elsewhere", name: "x0"), .namespace("fo000001-h1"), .namespace("fo000001-sw1")])
        #expect(await ledger.entries.isEmpty)
        #expect(await ledger.takeUndoPlan().isEmpty)
        // What was executed stays readable after teardown took it.
        #expect(await ledger.executed == executed)
    }

    @Test("operations that create nothing leave nothing to undo; later ones are undone by the next take")
    func later() async {
        let ledger = BackendLedger()
        await ledger.record(op(.setLinkState(link("a", "x"), up: false)))
        #expect(await ledger.takeUndoPlan().isEmpty)
        await ledger.record(op(.createVeth(namespace: "a", name: "x", peerNamespace: "b", peerName: "y")))
        #expect(await ledger.takeUndoPlan() == [.link(namespace: "b", name: "y"), .link(namespace: "a", name: "x")])
    }
}

@Suite("observation details (only changes)")
struct ObservationDiffTests {
    let names: (UInt32) -> String? = { [4: "eth0", 5: "eth1"][$0] }

    @Test("carrier loss with admin up")
    func carrierDown() {
        let old = LinkSnapshot(name: "eth0", adminUp: true, carrier: true, carrierChanges: 2)
        let new = LinkSnapshot(name: "eth0", adminUp: true, carrier: false, carrierChanges: 3)
        #expect(
            ObservationDiff.changes(from: old, to: new, name: names)
                == [ObservedChange(kind: "link", detail: "carrier down, admin up (carrier_changes 3)")])
    }

    @Test("a coalesced down/up still shows as a carrier_changes step")
    func coalesced() {
        let old = LinkSnapshot(name: "eth0", adminUp: true, carrier: true, carrierChanges: 2)
        let new = LinkSnapshot(name: "eth0", adminUp: true, carrier: true, carrierChanges: 4)
        #expect(
            ObservationDiff.changes(from: old, to: new, name: names).map(\.detail) == [
                "carrier up, admin up (carrier_changes 4)"
            ])
    }

    @Test("no change, no record")
    func unchanged() {
        let same = LinkSnapshot(name: "eth0", adminUp: true, carrier: true, carrierChanges: 2, mac: [2, 0, 0, 0, 0, 1])
        #expect(ObservationDiff.changes(from: same, to: same, name: names).isEmpty)
    }

    @Test("active slave change and loss")
    func activeSlave() {
        let old = LinkSnapshot(name: "bond0", adminUp: true, carrier: true, isBond: true, activeSlave: 4)
        var new = old
        new.activeSlave = 5
        #expect(
            ObservationDiff.changes(from: old, to: new, name: names) == [
                ObservedChange(kind: "active_slave", detail: "eth1")
            ])
        new.activeSlave = 0
        #expect(
            ObservationDiff.changes(from: old, to: new, name: names) == [
                ObservedChange(kind: "active_slave", detail: "none")
            ])
    }

    @Test("slave state, MII status and failure count")
    func slave() {
        let old = LinkSnapshot(
            name: "eth0", adminUp: true, carrier: true, slaveState: "active", slaveMII: "up", slaveFailures: 0)
        var new = old
        new.slaveState = "backup"
        new.slaveMII = "down"
        new.slaveFailures = 1
        #expect(
            ObservationDiff.changes(from: old, to: new, name: names)
                == [ObservedChange(kind: "slave", detail: "mii down, backup, link_failures 1")])
        new.slaveMII = "going_back"
        #expect(
            ObservationDiff.changes(from: old, to: new, name: names).first?.detail
                == "mii going back, backup, link_failures 1")
    }

    @Test("each record carries the typed state the timeline reads")
    func observedState() {
        let bond = LinkSnapshot(
            name: "bond0", adminUp: true, carrier: false, mac: [2, 0, 0, 0, 0, 1], isBond: true, activeSlave: 5)
        #expect(
            bond.observed(name: names)
                == ObservedLinkState(
                    adminUp: true, carrier: false, mac: MACAddress("02:00:00:00:00:01"), isBond: true,
                    activeSlave: "eth1"))
        var none = bond
        none.activeSlave = 0
        #expect(none.observed(name: names).activeSlave == nil)
        let slave = LinkSnapshot(
            name: "eth0", adminUp: true, carrier: true, slaveState: "backup", slaveMII: "going_back", slaveFailures: 3)
        #expect(
            slave.observed(name: names)
                == ObservedLinkState(
                    adminUp: true, carrier: true, mii: .goingBack, slaveState: "backup", linkFailures: 3))
    }

    @Test("MAC change")
    func mac() {
        let old = LinkSnapshot(name: "bond0", adminUp: true, carrier: true, mac: [2, 0, 0, 0, 0, 1])
        var new = old
        new.mac = [2, 0, 0, 0, 0, 2]
        #expect(
            ObservationDiff.changes(from: old, to: new, name: names) == [
                ObservedChange(kind: "mac", detail: "02:00:00:00:00:02")
            ])
    }
}

@Suite("bond options: netlink encoding, read-back comparison, run-time changes")
struct BondOptionTests {
    func fullBond() -> Bond {
        var options = BondOptions()
        options.miimon = 100
        options.updelay = 250
        options.downdelay = 100
        options.useCarrier = true
        options.arpValidate = .all
        options.arpAllTargets = .all
        options.arpMissedMax = 3
        options.arpIPTargets = [IPAddress("198.18.0.254")!]
        options.nsIP6Targets = [IPAddress("2001:2::fe")!]
        options.primary = "eth1"
        options.primaryReselect = .failure
        options.failOverMAC = .follow
        options.numPeerNotif = 2
        options.peerNotifDelay = 150
        options.lacpRate = .fast
        options.lacpActive = .off
        options.adSelect = .count
        options.adActorSysPrio = 100
        options.adUserPortKey = 5
        options.adActorSystem = MACAddress("02:00:00:00:00:aa")
        options.minLinks = 1
        options.xmitHashPolicy = .layer34
        options.allSlavesActive = false
        options.resendIGMP = 2
        options.packetsPerSlave = 3
        options.tlbDynamicLB = true
        options.lpInterval = 4
        return Bond(name: "bond0", mode: .activeBackup, slaves: ["eth0", "eth1"], options: options)
    }

    @Test("every model option maps to its IFLA_BOND_* field with the kernel's number")
    func mapping() throws {
        let c = try fullBond().netlinkConfiguration { $0 == "eth1" ? 7 : 6 }
        #expect(c.mode == 1 && c.miimon == 100 && c.updelay == 250 && c.downdelay == 100 && c.useCarrier == 1)
        #expect(c.arpValidate == 3 && c.arpAllTargets == 1 && c.missedMax == 3)
        #expect(c.arpIPTargets == [[198, 18, 0, 254]])
        #expect(c.nsIP6Targets?.first?.last == 0xfe)
        #expect(c.primary == 7 && c.primaryReselect == 2 && c.failOverMAC == 2)
        #expect(c.numPeerNotif == 2 && c.peerNotifDelay == 150)
        #expect(c.adLACPRate == 1 && c.adLACPActive == 0 && c.adSelect == 2)
        #expect(c.adActorSysPrio == 100 && c.adUserPortKey == 5 && c.adActorSystem == [2, 0, 0, 0, 0, 0xaa])
        #expect(c.minLinks == 1 && c.xmitHashPolicy == 1 && c.allSlavesActive == 0 && c.resendIGMP == 2)
        #expect(c.packetsPerSlave == 3 && c.tlbDynamicLB == 1 && c.lpInterval == 4)
        #expect(c.activeSlave == nil)
    }

    @Test("unset options are not sent")
    func unset() throws {
        let c = try Bond(name: "bond0", mode: .balanceRR, slaves: []).netlinkConfiguration { _ in 1 }
        var expected = BondConfiguration()
        expected.mode = 0
        #expect(c == expected)
    }

    @Test("updelay/downdelay/peer_notif_delay are compared after rounding down to a miimon multiple")
    func rounding() throws {
        let asked = try fullBond().netlinkConfiguration { _ in 7 }
        var read = asked
        read.updelay = 200  // 250 rounded down to a multiple of 100
        read.peerNotifDelay = 100  // 150 rounded down
        #expect(BondReadBack.mismatches(asked: asked, read: read).isEmpty)
        read.updelay = 250
        let mismatch = try #require(BondReadBack.mismatches(asked: asked, read: read).first)
        #expect(mismatch.option == "updelay")
        #expect(mismatch.asked == "200" && mismatch.read == "250")
        #expect(mismatch.description.contains("rounded down to a multiple of miimon 100"))
    }

    @Test("a different or missing value is a mismatch naming option, asked and read")
    func mismatch() throws {
        let asked = try fullBond().netlinkConfiguration { _ in 7 }
        var read = asked
        read.updelay = 200
        read.peerNotifDelay = 100
        read.failOverMAC = 0
        read.missedMax = nil
        let found = BondReadBack.mismatches(asked: asked, read: read)
        #expect(found.map(\.option) == ["fail_over_mac", "arp_missed_max"])
        #expect(found[0].description == "option fail_over_mac: asked 2, kernel reports 0")
        #expect(found[1].read == "nothing")
    }

    @Test(
        "run-time changes parse kernel spellings",
        arguments: [
            ("primary_reselect", "better"), ("primary-reselect", "1"), ("miimon", "50"), ("num_grat_arp", "3"),
            ("peer_notify_delay", "200"), ("arp_validate", "filter_active"), ("lacp_rate", "fast"),
            ("arp_ip_target", "198.18.0.1,198.18.0.2"), ("use_carrier", "on"),
        ])
    func change(option: String, value: String) throws {
        let c = try BondOptionChange.configuration(option: option, value: value, bond: "ns/bond0") { _ in 9 }
        #expect(c != BondConfiguration())
    }

    @Test("active_slave resolves the slave; none clears it")
    func activeSlave() throws {
        let set = try BondOptionChange.configuration(option: "active_slave", value: "eth1", bond: "b") {
            $0 == "eth1" ? 12 : 0
        }
        #expect(set.activeSlave == 12)
        let cleared = try BondOptionChange.configuration(option: "active_slave", value: "none", bond: "b") { _ in 12 }
        #expect(cleared.activeSlave == 0)
    }

    @Test("unknown options and bad values are BackendErrors")
    func errors() {
        #expect(throws: BackendError.self) {
            try BondOptionChange.configuration(option: "colour", value: "red", bond: "b") { _ in 1 }
        }
        #expect(throws: BackendError.self) {
            try BondOptionChange.configuration(option: "miimon", value: "soon", bond: "b") { _ in 1 }
        }
        #expect(throws: BackendError.self) {
            try BondOptionChange.configuration(option: "xmit_hash_policy", value: "layer9", bond: "b") { _ in 1 }
        }
    }
}

@Suite("interface state from netlink, cross-checked with /proc")
struct InterfaceStateTests {
    func slaveLink(mii: UInt8, failures: UInt32, state: UInt8) throws -> Link {
        var message = NetlinkMessageBuilder(type: RTM.newLink, flags: 0)
        message.appendFamilyHeader(LinkRequest.ifinfomsg(index: 5, flags: 0x10003))
        message.append(IFLA.ifname, string: "eth0")
        message.append(IFLA.address, [2, 0, 0, 0, 0, 9])
        message.append(IFLA.master, uint32: 4)
        message.append(IFLA.carrierChanges, uint32: 3)
        message.nest(IFLA.linkinfo) { info in
            info.append(IFLAInfo.kind, string: "veth")
            info.append(IFLAInfo.slaveKind, string: "bond")
            info.nest(IFLAInfo.slaveData) { data in
                data.append(1, uint8: state)
                data.append(2, uint8: mii)
                data.append(3, uint32: failures)
                data.append(4, [2, 0, 0, 0, 0, 1])
            }
        }
        return try Link(payload: Array(message.bytes.dropFirst(16)))
    }

    @Test("slave state: master name, MII, failures, permanent MAC")
    func slave() throws {
        let state = NamespaceBackend.interfaceState(
            try slaveLink(mii: 2, failures: 1, state: 1), names: [4: "bond0", 5: "eth0"])
        #expect(state.exists && state.adminUp && state.carrier)
        #expect(state.carrierChanges == 3)
        #expect(state.mac == MACAddress("02:00:00:00:00:09"))
        #expect(state.permanentMAC == MACAddress("02:00:00:00:00:01"))
        let slave = try #require(state.slave)
        #expect(slave.master == "bond0" && slave.miiStatus == .down && slave.linkFailureCount == 1)
        #expect(slave.state == "backup")
    }

    @Test("netlink and /proc agreeing is fine; a differing failure count or MII status is reported")
    func disagreement() throws {
        let proc = BondProcStatus(text: newerText)  // eth0: going back, 1 failure
        let agreeing = NamespaceBackend.interfaceState(
            try slaveLink(mii: 3, failures: 1, state: 1), names: [4: "bond0"])
        #expect(NamespaceBackend.disagreement(agreeing, proc: proc, interface: "eth0") == nil)
        let failures = NamespaceBackend.interfaceState(
            try slaveLink(mii: 3, failures: 2, state: 1), names: [4: "bond0"])
        #expect(
            NamespaceBackend.disagreement(failures, proc: proc, interface: "eth0")
                == "link failure count: netlink 2, /proc 1")
        let mii = NamespaceBackend.interfaceState(try slaveLink(mii: 0, failures: 1, state: 1), names: [4: "bond0"])
        #expect(
            NamespaceBackend.disagreement(mii, proc: proc, interface: "eth0")
                == "MII status: netlink up, /proc going_back")
    }

    @Test("bond active slave compared by name")
    func bondActive() {
        let bond = InterfaceState(exists: true, bond: BondState(mode: .activeBackup, activeSlave: "eth1", miimon: 10))
        #expect(
            NamespaceBackend.disagreement(bond, proc: BondProcStatus(text: seed001Text), interface: "bond0")
                == "active slave: netlink eth1, /proc eth0")
    }
}

@Suite("far ends, privileges")
struct TopologyMappingTests {
    let topology = Topology(
        switches: [Switch(name: "sw1")],
        hosts: [Host(name: "h1", interfaces: ["eth0", "eth1"]), Host(name: "h2", interfaces: ["eth0"])],
        cables: [
            Cable(a: InterfaceRef(host: "h1", interface: "eth0"), b: .switch("sw1")),
            Cable(
                a: InterfaceRef(host: "h1", interface: "eth1"), b: .host(InterfaceRef(host: "h2", interface: "eth0"))),
        ])

    @Test("pull on a switch cable downs the switch port; on a host cable the other host's end")
    func farEnds() throws {
        let names = RunNames(runID: "000001")
        func pull(_ host: String, _ interface: String) -> [RunOperation] {
            RunPlanCompiler.operations(
                for: .pull(InterfaceRef(host: host, interface: interface)), in: topology, names: names
            ).map(\.operation)
        }
        #expect(
            pull("h1", "eth0") == [.setLinkState(NamespacedLink(namespace: "fo000001-sw1", name: "h1-eth0"), up: false)]
        )
        #expect(
            pull("h1", "eth1") == [.setLinkState(NamespacedLink(namespace: "fo000001-h2", name: "eth0"), up: false)])
        #expect(
            pull("h2", "eth0") == [.setLinkState(NamespacedLink(namespace: "fo000001-h1", name: "eth1"), up: false)])
        #expect(pull("h2", "eth9") == [.unsupported("no cable at h2/eth9")])
    }

    @Test("CapEff parsing: bit 12 is CAP_NET_ADMIN")
    func capabilities() {
        let status = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t0000000000001000\n"
        #expect(Privileges.effectiveCapabilities(status) == 0x1000)
        #expect(Privileges.effectiveCapabilities("Name: x\n") == nil)
    }
}
