import FailoverCore
import FailoverModel
import FailoverNetlink
import Testing

@testable import FailoverLinux

@Suite("bond options read back as playbook text; likely reasons for refusals")
struct BondOptionTextTests {
    @Test("netlink values become the spelling set and option use")
    func texts() {
        var read = BondConfiguration()
        read.mode = 1
        read.miimon = 100
        read.updelay = 200
        read.useCarrier = 1
        read.arpValidate = 3
        read.primary = 5
        read.primaryReselect = 2
        read.arpIPTargets = [[198, 18, 0, 1], [198, 18, 0, 2]]
        read.numPeerNotif = 2
        read.adActorSystem = [2, 0, 0, 0, 0, 0x1a]
        let texts = BondReadBack.optionTexts(read, names: [5: "eth1"])
        #expect(texts["mode"] == "active-backup")
        #expect(texts["miimon"] == "100")
        #expect(texts["updelay"] == "200")
        #expect(texts["use_carrier"] == "1")
        #expect(texts["arp_validate"] == "all")
        #expect(texts["primary"] == "eth1")
        #expect(texts["primary_reselect"] == "failure")
        #expect(texts["active_slave"] == "none")
        #expect(texts["arp_ip_target"] == "198.18.0.1,198.18.0.2")
        #expect(texts["ns_ip6_target"] == "")
        #expect(texts["num_grat_arp"] == "2")
        #expect(texts["num_unsol_na"] == "2")
        #expect(texts["ad_actor_system"] == "02:00:00:00:00:1a")
        // Not reported: not in the map (the option assertion is then errored, not passed).
        #expect(texts["downdelay"] == nil)
    }

    @Test("/proc's timers are cross-checked with netlink")
    func procTimers() {
        var bond = BondState(mode: .activeBackup, activeSlave: "eth0", miimon: 100)
        bond.options = ["miimon": "100", "updelay": "0", "downdelay": "0"]
        let proc = BondProcStatus(text: seed001Text)  // miimon 100, Up Delay 0, Down Delay 0
        let state = InterfaceState(exists: true, bond: bond)
        #expect(NamespaceBackend.disagreement(state, proc: proc, interface: "bond0") == nil)
        var rounded = state
        rounded.bond?.options["updelay"] = "200"
        #expect(
            NamespaceBackend.disagreement(rounded, proc: proc, interface: "bond0") == "updelay: netlink 200, /proc 0")
    }

    @Test("likely reasons follow bond_options.c")
    func reasons() {
        typealias R = BondRefusalReason
        var context = R.Context(mode: .activeBackup, miimon: 0, bondUp: true, activeSlave: "eth0")
        #expect(
            R.likely(option: "updelay", errno: 1, context: context)
                == "MII monitoring is disabled (miimon 0): the kernel keeps updelay as a count of miimon intervals")
        context.miimon = 100
        #expect(R.likely(option: "updelay", errno: 1, context: context) == nil)
        #expect(
            R.likely(option: "mode", errno: 39, context: context)
                == "the bond has slaves: mode can only be changed on a bond without slaves")
        #expect(
            R.likely(option: "arp_validate", errno: 13, context: R.Context(mode: .ieee8023ad))
                == "arp_validate is not supported in mode 802.3ad")
        var slave = context
        slave.slave = "eth1"
        slave.slaveAdminUp = true
        slave.slaveMII = .down
        #expect(
            R.likely(option: "active_slave", errno: 22, context: slave)
                == "link down: eth1's MII status is down; the kernel only switches to a slave whose link is up")
        slave.slaveMII = .up
        slave.activeSlave = nil
        #expect(
            R.likely(option: "active_slave", errno: 22, context: slave)
                == "the bond has no active slave; the kernel only switches from one active slave to another")
        slave.slaveAdminUp = false
        #expect(R.likely(option: "active_slave", errno: 22, context: slave) == "eth1 is administratively down")
    }
}
