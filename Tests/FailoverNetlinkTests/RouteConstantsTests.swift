import CNetShims
import Testing

@testable import FailoverNetlink

@Suite("hard-coded rtnetlink numbers equal the installed uapi headers")
struct RouteConstantsTests {
    @Test("message types, link attributes, link info, bond attributes")
    func constants() {
        #expect(Int(RTM.newLink) == Int(RTM_NEWLINK))
        #expect(Int(RTM.delLink) == Int(RTM_DELLINK))
        #expect(Int(RTM.getLink) == Int(RTM_GETLINK))
        #expect(Int(RTM.setLink) == Int(RTM_SETLINK))
        #expect(Int(RTM.newAddr) == Int(RTM_NEWADDR))
        #expect(Int(RTM.newRoute) == Int(RTM_NEWROUTE))
        #expect(Int(IFLA.address) == Int(IFLA_ADDRESS))
        #expect(Int(IFLA.ifname) == Int(IFLA_IFNAME))
        #expect(Int(IFLA.master) == Int(IFLA_MASTER))
        #expect(Int(IFLA.protinfo) == Int(IFLA_PROTINFO))
        #expect(Int(IFLA.linkinfo) == Int(IFLA_LINKINFO))
        #expect(Int(IFLA.netNSFD) == Int(IFLA_NET_NS_FD))
        #expect(Int(IFLA.carrierChanges) == Int(IFLA_CARRIER_CHANGES))
        #expect(Int(IFLA.carrierUpCount) == Int(IFLA_CARRIER_UP_COUNT))
        #expect(Int(IFLA.carrierDownCount) == Int(IFLA_CARRIER_DOWN_COUNT))
        #expect(Int(IFLA.permAddress) == Int(IFLA_PERM_ADDRESS))
        #expect(Int(IFLA.operstate) == Int(IFLA_OPERSTATE))
        #expect(Int(IFLAInfo.slaveData) == Int(IFLA_INFO_SLAVE_DATA))
        #expect(Int(BondConfiguration.Attribute.tlbDynamicLB) == Int(IFLA_BOND_TLB_DYNAMIC_LB))
        #expect(Int(BondConfiguration.Attribute.missedMax) == Int(IFLA_BOND_MISSED_MAX))
        #expect(Int(BondConfiguration.Attribute.nsIP6Target) == Int(IFLA_BOND_NS_IP6_TARGET))
        #expect(Int(BondConfiguration.Attribute.missedMax) == Int(CNETSHIMS_IFLA_BOND_MISSED_MAX))
        #expect(Int(BondSlaveInfo.Attribute.prio) == Int(IFLA_BOND_SLAVE_PRIO))
        #expect(Int(BondSlaveInfo.Attribute.prio) == Int(CNETSHIMS_IFLA_BOND_SLAVE_PRIO))
        var slave = BondSlaveInfo()
        for (value, name) in [
            (BOND_LINK_UP, "up"), (BOND_LINK_FAIL, "going_down"), (BOND_LINK_DOWN, "down"),
            (BOND_LINK_BACK, "going_back"),
        ] {
            slave.miiStatus = UInt8(value)
            #expect(slave.miiStatusName == name)
        }
        slave.state = UInt8(BOND_STATE_BACKUP)
        #expect(slave.stateName == "backup")
        slave.state = UInt8(BOND_STATE_ACTIVE)
        #expect(slave.stateName == "active")
        #expect(CNetShims_NLMSG_ALIGN(13) == 16)
        #expect(CNetShims_NLMSG_HDRLEN() == 16)
        #expect(CNetShims_RTA_ALIGN(5) == 8)
    }
}
