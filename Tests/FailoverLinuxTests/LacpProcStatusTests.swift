import FailoverCore
import FailoverModel
import Testing

@testable import FailoverLinux

/// /proc/net/bonding of an 802.3ad bond in the layout of bond_procfs.c (values of a run of
/// seed 002: eth0 has left the active aggregator after its LACP timeout).
let lacpText = """
    Ethernet Channel Bonding Driver: v6.1.0-57-amd64

    Bonding Mode: IEEE 802.3ad Dynamic link aggregation
    Transmit Hash Policy: layer3+4 (1)
    MII Status: up
    MII Polling Interval (ms): 100
    Up Delay (ms): 0
    Down Delay (ms): 0
    Peer Notification Delay (ms): 0

    802.3ad info
    LACP active: on
    LACP rate: fast
    Min links: 0
    Aggregator selection policy (ad_select): stable
    System priority: 65535
    System MAC address: 02:11:22:33:44:55
    Active Aggregator Info:
    \tAggregator ID: 1
    \tNumber of ports: 1
    \tActor Key: 15
    \tPartner Key: 15
    \tPartner Mac Address: 02:00:00:00:00:5a

    Slave Interface: eth0
    MII Status: up
    Speed: 10000 Mbps
    Duplex: full
    Link Failure Count: 0
    Permanent HW addr: 02:11:22:33:44:55
    Slave queue ID: 0
    Aggregator ID: 2
    Actor Churn State: churned
    Partner Churn State: churned
    Actor Churned Count: 1
    Partner Churned Count: 1
    details actor lacp pdu:
        system priority: 65535
        system mac address: 02:11:22:33:44:55
        port key: 15
        port priority: 255
        port number: 1
        port state: 71
    details partner lacp pdu:
        system priority: 65535
        system mac address: 00:00:00:00:00:00
        oper key: 1
        port priority: 255
        port number: 1
        port state: 1

    Slave Interface: eth1
    MII Status: up
    Speed: 10000 Mbps
    Duplex: full
    Link Failure Count: 0
    Permanent HW addr: 02:11:22:33:44:66
    Slave queue ID: 0
    Aggregator ID: 1
    Actor Churn State: none
    Partner Churn State: none
    Actor Churned Count: 0
    Partner Churned Count: 0
    details actor lacp pdu:
        system priority: 65535
        system mac address: 02:11:22:33:44:55
        port key: 15
        port priority: 255
        port number: 2
        port state: 63
    details partner lacp pdu:
        system priority: 65535
        system mac address: 02:00:00:00:00:5a
        oper key: 15
        port priority: 255
        port number: 2
        port state: 61
    """

@Suite("LACP state from /proc/net/bonding, cross-checked with netlink")
struct LacpProcStatusTests {
    static let netlink = LacpStatus(
        aggregatorID: 1, actorKey: 15, partnerKey: 15, partnerMAC: MACAddress("02:00:00:00:00:5a"),
        ports: [
            LacpStatus.Port(name: "eth0", aggregatorID: 2, actorState: 71, partnerState: 1),
            LacpStatus.Port(name: "eth1", aggregatorID: 1, actorState: 63, partnerState: 61),
        ])

    @Test("the active aggregator and each slave's aggregator, actor and partner port state are read")
    func parses() {
        let proc = BondProcStatus(text: lacpText)
        #expect(proc.mode == .ieee8023ad)
        #expect(proc.aggregatorID == 1)
        #expect(proc.numberOfPorts == 1)
        #expect(proc.actorKey == 15 && proc.partnerKey == 15)
        #expect(proc.partnerMAC == "02:00:00:00:00:5a")
        #expect(proc.slave(named: "eth0")?.aggregatorID == 2)
        #expect(proc.slave(named: "eth0")?.actorPortState == 71)
        #expect(proc.slave(named: "eth0")?.partnerPortState == 1)
        #expect(proc.slave(named: "eth1")?.aggregatorID == 1)
        #expect(proc.slave(named: "eth1")?.actorPortState == 63)
        #expect(proc.slave(named: "eth1")?.partnerPortState == 61)
        #expect(Self.netlink.activePorts == ["eth1"])
        #expect(LacpStateBit.names(71) == "activity,timeout,aggregation,defaulted")
    }

    @Test("netlink and /proc agree; each field that differs is a disagreement naming both values")
    func disagreement() {
        let proc = BondProcStatus(text: lacpText)
        #expect(NamespaceBackend.lacpDisagreement(Self.netlink, proc: proc) == nil)
        var status = Self.netlink
        status.aggregatorID = 2
        #expect(NamespaceBackend.lacpDisagreement(status, proc: proc) == "active aggregator: netlink 2, /proc 1")
        status = Self.netlink
        status.partnerMAC = MACAddress("02:00:00:00:00:5b")
        #expect(
            NamespaceBackend.lacpDisagreement(status, proc: proc)
                == "partner MAC: netlink 02:00:00:00:00:5b, /proc 02:00:00:00:00:5a")
        status = Self.netlink
        status.partnerKey = nil
        #expect(NamespaceBackend.lacpDisagreement(status, proc: proc) == "partner key: netlink none, /proc 15")
        status = Self.netlink
        status.ports[0].actorState = 63
        #expect(NamespaceBackend.lacpDisagreement(status, proc: proc) == "eth0 actor port state: netlink 63, /proc 71")
        status = Self.netlink
        status.ports[1].partnerState = 60
        #expect(
            NamespaceBackend.lacpDisagreement(status, proc: proc) == "eth1 partner port state: netlink 60, /proc 61")
        status = Self.netlink
        status.ports[1].aggregatorID = 2
        #expect(NamespaceBackend.lacpDisagreement(status, proc: proc) == "eth1 aggregator id: netlink 2, /proc 1")
        status = Self.netlink
        status.ports.append(LacpStatus.Port(name: "eth2", aggregatorID: nil, actorState: nil, partnerState: nil))
        #expect(NamespaceBackend.lacpDisagreement(status, proc: proc) == "eth2 missing from /proc/net/bonding")
    }
}
