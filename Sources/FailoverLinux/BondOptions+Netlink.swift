import FailoverCore
import FailoverModel
import FailoverNetlink

extension Bond {
    /// The IFLA_BOND_* attributes for creating this bond. `index` resolves a slave name
    /// (for `primary`) to its ifindex in the bond's namespace.
    func netlinkConfiguration(index: (String) throws -> Int32) throws -> BondConfiguration {
        var c = BondConfiguration()
        let o = options
        c.mode = UInt8(mode.number)
        c.miimon = o.miimon.map(UInt32.init)
        c.updelay = o.updelay.map(UInt32.init)
        c.downdelay = o.downdelay.map(UInt32.init)
        c.useCarrier = o.useCarrier.map { $0 ? 1 : 0 }
        c.arpInterval = o.arpInterval.map(UInt32.init)
        if !o.arpIPTargets.isEmpty { c.arpIPTargets = o.arpIPTargets.map(\.bytes) }
        if !o.nsIP6Targets.isEmpty { c.nsIP6Targets = o.nsIP6Targets.map(\.bytes) }
        c.arpValidate = o.arpValidate.map { UInt32($0.number) }
        c.arpAllTargets = o.arpAllTargets.map { UInt32($0.number) }
        c.missedMax = o.arpMissedMax.map(UInt8.init)
        if let primary = o.primary { c.primary = UInt32(bitPattern: try index(primary)) }
        c.primaryReselect = o.primaryReselect.map { UInt8($0.number) }
        c.failOverMAC = o.failOverMAC.map { UInt8($0.number) }
        c.numPeerNotif = o.numPeerNotif.map(UInt8.init)
        c.peerNotifDelay = o.peerNotifDelay.map(UInt32.init)
        c.adLACPRate = o.lacpRate.map { UInt8($0.number) }
        c.adLACPActive = o.lacpActive.map { UInt8($0.number) }
        c.adSelect = o.adSelect.map { UInt8($0.number) }
        c.adActorSysPrio = o.adActorSysPrio.map(UInt16.init)
        c.adUserPortKey = o.adUserPortKey.map(UInt16.init)
        c.adActorSystem = o.adActorSystem?.bytes
        c.minLinks = o.minLinks.map(UInt32.init)
        c.xmitHashPolicy = o.xmitHashPolicy.map { UInt8($0.number) }
        c.allSlavesActive = o.allSlavesActive.map { $0 ? 1 : 0 }
        c.resendIGMP = o.resendIGMP.map(UInt32.init)
        c.packetsPerSlave = o.packetsPerSlave.map(UInt32.init)
        c.tlbDynamicLB = o.tlbDynamicLB.map { $0 ? 1 : 0 }
        c.lpInterval = o.lpInterval.map(UInt32.init)
        return c
    }
}

/// One option that read back differently from what was asked.
struct BondOptionMismatch: Sendable, Hashable, CustomStringConvertible {
    var option: String
    var asked: String
    var read: String
    var note: String?

    var description: String {
        "option \(option): asked \(asked), kernel reports \(read)" + (note.map { " (\($0))" } ?? "")
    }
}

enum BondReadBack {
    /// Compares every option set in `asked` with what the kernel reports in `read`.
    /// updelay, downdelay and peer_notif_delay are compared against the value rounded down to a
    /// multiple of miimon: the kernel stores them as miimon ticks (bonding.rst: "should be a
    /// multiple of miimon … rounded down to the nearest multiple").
    static func mismatches(asked: BondConfiguration, read: BondConfiguration) -> [BondOptionMismatch] {
        var result: [BondOptionMismatch] = []
        func check<T: Equatable>(_ name: String, _ a: T?, _ r: T?, note: String? = nil, show: (T) -> String) {
            guard let a else { return }
            if a != r {
                result.append(
                    BondOptionMismatch(option: name, asked: show(a), read: r.map(show) ?? "nothing", note: note))
            }
        }
        func num<T: BinaryInteger>(_ value: T) -> String { String(value) }
        func list(_ value: [[UInt8]]) -> String {
            value.map { bytes in
                bytes.count == 4
                    ? bytes.map(String.init).joined(separator: ".")
                    : stride(from: 0, to: bytes.count - 1, by: 2).map {
                        String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
                    }.joined(separator: ":")
            }.joined(separator: ",")
        }
        let miimon = read.miimon ?? asked.miimon ?? 0
        func rounded(_ value: UInt32?) -> UInt32? {
            guard let value, miimon > 0 else { return value }
            return value / miimon * miimon
        }
        let roundingNote = "compared with the value rounded down to a multiple of miimon \(miimon), as the kernel does"
        check("mode", asked.mode, read.mode, show: num)
        check("miimon", asked.miimon, read.miimon, show: num)
        check("updelay", rounded(asked.updelay), read.updelay, note: roundingNote, show: num)
        check("downdelay", rounded(asked.downdelay), read.downdelay, note: roundingNote, show: num)
        check("use_carrier", asked.useCarrier, read.useCarrier, show: num)
        check("arp_interval", asked.arpInterval, read.arpInterval, show: num)
        check("arp_ip_target", asked.arpIPTargets, read.arpIPTargets ?? [], show: list)
        check("arp_validate", asked.arpValidate, read.arpValidate, show: num)
        check("arp_all_targets", asked.arpAllTargets, read.arpAllTargets, show: num)
        check("primary", asked.primary, read.primary, show: { "ifindex \($0)" })
        check("primary_reselect", asked.primaryReselect, read.primaryReselect, show: num)
        check("fail_over_mac", asked.failOverMAC, read.failOverMAC, show: num)
        check("xmit_hash_policy", asked.xmitHashPolicy, read.xmitHashPolicy, show: num)
        check("resend_igmp", asked.resendIGMP, read.resendIGMP, show: num)
        check("num_peer_notif", asked.numPeerNotif, read.numPeerNotif, show: num)
        check("all_slaves_active", asked.allSlavesActive, read.allSlavesActive, show: num)
        check("min_links", asked.minLinks, read.minLinks, show: num)
        check("lp_interval", asked.lpInterval, read.lpInterval, show: num)
        check("packets_per_slave", asked.packetsPerSlave, read.packetsPerSlave, show: num)
        check("lacp_rate", asked.adLACPRate, read.adLACPRate, show: num)
        check("ad_select", asked.adSelect, read.adSelect, show: num)
        check("ad_actor_sys_prio", asked.adActorSysPrio, read.adActorSysPrio, show: num)
        check("ad_user_port_key", asked.adUserPortKey, read.adUserPortKey, show: num)
        check("ad_actor_system", asked.adActorSystem, read.adActorSystem, show: formatMAC)
        check("tlb_dynamic_lb", asked.tlbDynamicLB, read.tlbDynamicLB, show: num)
        check("peer_notif_delay", rounded(asked.peerNotifDelay), read.peerNotifDelay, note: roundingNote, show: num)
        check("lacp_active", asked.adLACPActive, read.adLACPActive, show: num)
        check("arp_missed_max", asked.missedMax, read.missedMax, show: num)
        check("ns_ip6_target", asked.nsIP6Targets, read.nsIP6Targets ?? [], show: list)
        return result
    }
}

/// A run-time bond option change (`set host/bond0 OPTION VALUE`) as IFLA_BOND_* attributes.
enum BondOptionChange {
    /// - Parameter index: resolves a slave name to its ifindex (active_slave, primary).
    /// - Throws: `BackendError` for an unknown option or a value that does not parse.
    static func configuration(option: String, value: String, bond: String, index: (String) throws -> Int32) throws
        -> BondConfiguration
    {
        var c = BondConfiguration()
        func bad() -> BackendError {
            BackendError(operation: "set \(option)", object: bond, detail: "cannot use value \"\(value)\"")
        }
        func u32() throws -> UInt32 {
            guard let v = UInt32(value) else { throw bad() }
            return v
        }
        func u8() throws -> UInt8 {
            guard let v = UInt8(value) else { throw bad() }
            return v
        }
        func u16() throws -> UInt16 {
            guard let v = UInt16(value) else { throw bad() }
            return v
        }
        func flag() throws -> UInt8 {
            switch value {
            case "1", "on", "true", "yes": return 1
            case "0", "off", "false", "no": return 0
            default: throw bad()
            }
        }
        func named<T: KernelNamedValue>(_: T.Type) throws -> UInt8 {
            guard let v = T.parse(value) else { throw bad() }
            return UInt8(v.number)
        }
        func slave() throws -> UInt32 {
            if value.isEmpty || value == "none" { return 0 }
            return UInt32(bitPattern: try index(value))
        }
        switch String(option.map { $0 == "-" ? "_" : $0 }) {
        case "mode": c.mode = try named(BondMode.self)
        case "active_slave": c.activeSlave = try slave()
        case "primary": c.primary = try slave()
        case "miimon": c.miimon = try u32()
        case "updelay": c.updelay = try u32()
        case "downdelay": c.downdelay = try u32()
        case "use_carrier": c.useCarrier = try flag()
        case "arp_interval": c.arpInterval = try u32()
        case "arp_ip_target":
            c.arpIPTargets = try value.split(separator: ",").map {
                guard let ip = IPAddress(String($0)), ip.family == .ipv4 else { throw bad() }
                return ip.bytes
            }
        case "ns_ip6_target":
            c.nsIP6Targets = try value.split(separator: ",").map {
                guard let ip = IPAddress(String($0)), ip.family == .ipv6 else { throw bad() }
                return ip.bytes
            }
        case "arp_validate": c.arpValidate = UInt32(try named(ArpValidate.self))
        case "arp_all_targets": c.arpAllTargets = UInt32(try named(ArpAllTargets.self))
        case "arp_missed_max": c.missedMax = try u8()
        case "primary_reselect": c.primaryReselect = try named(PrimaryReselect.self)
        case "fail_over_mac": c.failOverMAC = try named(FailOverMAC.self)
        case "xmit_hash_policy": c.xmitHashPolicy = try named(XmitHashPolicy.self)
        case "resend_igmp": c.resendIGMP = try u32()
        case "num_peer_notif", "num_grat_arp", "num_unsol_na": c.numPeerNotif = try u8()
        case "peer_notif_delay", "peer_notify_delay": c.peerNotifDelay = try u32()
        case "all_slaves_active": c.allSlavesActive = try flag()
        case "min_links": c.minLinks = try u32()
        case "lp_interval": c.lpInterval = try u32()
        case "packets_per_slave": c.packetsPerSlave = try u32()
        case "lacp_rate", "ad_lacp_rate": c.adLACPRate = try named(LACPRate.self)
        case "lacp_active", "ad_lacp_active": c.adLACPActive = try named(LACPActive.self)
        case "ad_select": c.adSelect = try named(ADSelect.self)
        case "ad_actor_sys_prio": c.adActorSysPrio = try u16()
        case "ad_user_port_key": c.adUserPortKey = try u16()
        case "ad_actor_system":
            guard let mac = MACAddress(value) else { throw bad() }
            c.adActorSystem = mac.bytes
        case "tlb_dynamic_lb": c.tlbDynamicLB = try flag()
        default:
            throw BackendError(operation: "set \(option)", object: bond, detail: "unknown bond option")
        }
        return c
    }
}

extension BondReadBack {
    /// Every option of a bond's IFLA_INFO_DATA as playbook option name → value, spelled as `set`
    /// and the `option` assertion spell it: numbers in decimal (ms for timers), flags `1`/`0`,
    /// named values by their kernel name, slaves by name (`none` when unset), address lists
    /// comma-separated (empty when none). `names` resolves ifindexes to interface names.
    static func optionTexts(_ read: BondConfiguration, names: [Int32: String]) -> [String: String] {
        var result: [String: String] = [:]
        func put<T: BinaryInteger>(_ key: String, _ value: T?) {
            if let value { result[key] = String(value) }
        }
        func named<T: KernelNamedValue, N: BinaryInteger>(_ key: String, _: T.Type, _ value: N?) {
            guard let value else { return }
            result[key] = T.allCases.first { $0.number == Int(value) }?.rawValue ?? String(value)
        }
        func slave(_ index: UInt32?) -> String {
            guard let index, index != 0 else { return "none" }
            return names[Int32(bitPattern: index)] ?? "ifindex \(index)"
        }
        func addresses(_ list: [[UInt8]]?, _ family: InterfaceAddress.Family) -> String {
            (list ?? []).map { IPAddress(family: family, bytes: $0).description }.joined(separator: ",")
        }
        named("mode", BondMode.self, read.mode)
        result["active_slave"] = slave(read.activeSlave)
        result["primary"] = slave(read.primary)
        put("miimon", read.miimon)
        put("updelay", read.updelay)
        put("downdelay", read.downdelay)
        put("use_carrier", read.useCarrier)
        put("arp_interval", read.arpInterval)
        result["arp_ip_target"] = addresses(read.arpIPTargets, .ipv4)
        result["ns_ip6_target"] = addresses(read.nsIP6Targets, .ipv6)
        named("arp_validate", ArpValidate.self, read.arpValidate)
        named("arp_all_targets", ArpAllTargets.self, read.arpAllTargets)
        put("arp_missed_max", read.missedMax)
        named("primary_reselect", PrimaryReselect.self, read.primaryReselect)
        named("fail_over_mac", FailOverMAC.self, read.failOverMAC)
        named("xmit_hash_policy", XmitHashPolicy.self, read.xmitHashPolicy)
        put("resend_igmp", read.resendIGMP)
        // One kernel setting under two names (bonding.rst).
        put("num_grat_arp", read.numPeerNotif)
        put("num_unsol_na", read.numPeerNotif)
        put("all_slaves_active", read.allSlavesActive)
        put("min_links", read.minLinks)
        put("lp_interval", read.lpInterval)
        put("packets_per_slave", read.packetsPerSlave)
        named("lacp_rate", LACPRate.self, read.adLACPRate)
        named("lacp_active", LACPActive.self, read.adLACPActive)
        named("ad_select", ADSelect.self, read.adSelect)
        put("ad_actor_sys_prio", read.adActorSysPrio)
        put("ad_user_port_key", read.adUserPortKey)
        if let system = read.adActorSystem { result["ad_actor_system"] = MACAddress(bytes: system).description }
        put("tlb_dynamic_lb", read.tlbDynamicLB)
        put("peer_notif_delay", read.peerNotifDelay)
        return result
    }
}

/// Why the kernel likely refused a run-time bond option change, for the cases where its reply
/// says little or nothing. Each reason is the condition under which the bonding driver returns
/// that errno (drivers/net/bonding/bond_options.c, Documentation/networking/bonding.rst).
enum BondRefusalReason {
    /// What the backend knew about the bond (and, for active_slave, the slave) after the refusal.
    struct Context: Sendable, Hashable {
        var mode: BondMode?
        var miimon: Int?
        var bondUp: Bool?
        var activeSlave: String?
        /// The slave named by an `active_slave`/`primary` change.
        var slave: String?
        var slaveAdminUp: Bool?
        var slaveMII: MIIStatus?
    }

    static let delayOptions: Set<String> = ["updelay", "downdelay", "peer_notif_delay"]

    static func likely(option: String, errno: Int32, context: Context) -> String? {
        let modeText = context.mode.map { "mode \($0.rawValue)" } ?? "this mode"
        switch KernelErrno.name(of: errno) {
        case "EPERM" where delayOptions.contains(option) && (context.miimon ?? 0) == 0:
            return "MII monitoring is disabled (miimon 0): the kernel keeps \(option) as a count of miimon intervals"
        case "EACCES":
            return "\(option) is not supported in \(modeText)"
        case "ENOTEMPTY":
            return "the bond has slaves: \(option) can only be changed on a bond without slaves"
        case "EBUSY":
            return "the bond is up: \(option) can only be changed while it is down"
        case "ENODEV":
            return "the interface named in the change does not exist"
        case "EINVAL" where option == "active_slave":
            if let slave = context.slave {
                if context.slaveAdminUp == false { return "\(slave) is administratively down" }
                if let mii = context.slaveMII, mii != .up {
                    return
                        "link down: \(slave)'s MII status is \(mii.rawValue); the kernel only switches to a slave whose link is up"
                }
                if context.activeSlave == nil {
                    return "the bond has no active slave; the kernel only switches from one active slave to another"
                }
            }
            return "the slave or its link is down"
        case "EINVAL":
            return "the value is outside what the kernel accepts for \(option)"
        default:
            return nil
        }
    }
}
