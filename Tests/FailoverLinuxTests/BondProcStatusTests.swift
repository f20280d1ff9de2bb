import FailoverModel
import Testing

@testable import FailoverLinux

/// From seed 001 (a Proxmox host's /proc/net/bonding/bond0, MACs masked by its author).
let seed001Text = """
    Ethernet Channel Bonding Driver: v3.6.0 (September 26, 2009)

    Bonding Mode: fault-tolerance (active-backup)
    Primary Slave: None
    Currently Active Slave: eth0
    MII Status: up
    MII Polling Interval (ms): 100
    Up Delay (ms): 0
    Down Delay (ms): 0

    Slave Interface: eth0
    MII Status: up
    Speed: 1000 Mbps
    Duplex: full
    Link Failure Count: 0
    Permanent HW addr: xx:xx:xx:xx:xx:xx
    Slave queue ID: 0

    Slave Interface: eth1
    MII Status: up
    Speed: 1000 Mbps
    Duplex: full
    Link Failure Count: 0
    Permanent HW addr: xx:xx:xx:xx:xx:xx
    Slave queue ID: 0
    """

/// The newer layout (bonding.md §7): fail_over_mac suffix, primary with reselect policy,
/// peer notification delay, a slave going back after a failure.
let newerText = """
    Ethernet Channel Bonding Driver: 6.1.0-28-amd64

    Bonding Mode: fault-tolerance (active-backup) (fail_over_mac active)
    Primary Slave: eth0 (primary_reselect better)
    Currently Active Slave: None
    MII Status: down
    MII Polling Interval (ms): 10
    Up Delay (ms): 200
    Down Delay (ms): 0
    Peer Notification Delay (ms): 0

    Slave Interface: eth0
    MII Status: going back
    Speed: 10000 Mbps
    Duplex: full
    Link Failure Count: 1
    Permanent HW addr: 02:00:00:00:00:01
    Slave queue ID: 0

    Slave Interface: eth1
    MII Status: down
    Speed: Unknown
    Duplex: Unknown
    Link Failure Count: 3
    Permanent HW addr: 02:00:00:00:00:02
    Slave queue ID: 0
    """

@Suite("/proc/net/bonding parser")
struct BondProcStatusTests {
    @Test("seed 001: mode, no primary, active slave, timers, two slaves")
    func seed() {
        let status = BondProcStatus(text: seed001Text)
        #expect(status.mode == .activeBackup)
        #expect(status.modeDescription == "fault-tolerance (active-backup)")
        #expect(status.failOverMAC == nil)
        #expect(status.primary == nil)
        #expect(status.activeSlave == "eth0")
        #expect(status.miiStatus == .up)
        #expect(status.miimon == 100 && status.updelay == 0 && status.downdelay == 0)
        #expect(status.peerNotifDelay == nil)
        #expect(status.slaves.map(\.name) == ["eth0", "eth1"])
        #expect(status.slave(named: "eth1")?.miiStatus == .up)
        #expect(status.slave(named: "eth1")?.linkFailureCount == 0)
        #expect(status.slave(named: "eth0")?.speed == "1000 Mbps")
    }

    @Test("newer layout: fail_over_mac, primary_reselect, None active, going back, failure counts")
    func newer() {
        let status = BondProcStatus(text: newerText)
        #expect(status.mode == .activeBackup)
        #expect(status.failOverMAC == "active")
        #expect(status.primary == "eth0")
        #expect(status.primaryReselect == "better")
        #expect(status.activeSlave == nil)
        #expect(status.miiStatus == .down)
        #expect(status.updelay == 200 && status.peerNotifDelay == 0)
        #expect(status.slave(named: "eth0")?.miiStatus == .goingBack)
        #expect(status.slave(named: "eth0")?.linkFailureCount == 1)
        #expect(status.slave(named: "eth0")?.permanentMAC == "02:00:00:00:00:01")
        #expect(status.slave(named: "eth1")?.miiStatus == .down)
        #expect(status.slave(named: "eth1")?.linkFailureCount == 3)
    }

    @Test("every mode's procDescription maps back", arguments: BondMode.allCases)
    func modes(mode: BondMode) {
        let status = BondProcStatus(text: "Bonding Mode: \(mode.procDescription)\n")
        #expect(status.mode == mode)
    }

    @Test("CRLF line ends (serial console output) parse the same")
    func crlf() {
        let status = BondProcStatus(text: seed001Text.split(separator: "\n").joined(separator: "\r\n"))
        #expect(status.activeSlave == "eth0")
        #expect(status.slaves.count == 2)
    }
}
