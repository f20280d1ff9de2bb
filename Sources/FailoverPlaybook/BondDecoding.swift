import FailoverModel
import Yams

/// Bond options as playbooks spell them (the kernel's sysfs names), and their parsing.
package enum BondOptionKeys {
    /// Every option key a bond mapping and a `set` step accept (kernel spelling).
    static let options = [
        "miimon", "updelay", "downdelay", "use_carrier", "arp_interval", "arp_ip_target", "ns_ip6_target",
        "arp_validate", "arp_all_targets", "arp_missed_max", "primary", "primary_reselect", "fail_over_mac",
        "num_grat_arp", "num_unsol_na", "peer_notif_delay", "lacp_rate", "lacp_active", "ad_select",
        "ad_actor_sys_prio", "ad_user_port_key", "ad_actor_system", "min_links", "xmit_hash_policy",
        "all_slaves_active", "resend_igmp", "packets_per_slave", "tlb_dynamic_lb", "lp_interval",
    ]
    /// Keys of a bond mapping that are not kernel options.
    static let structural = ["mode", "slaves", "address", "addresses", "mac", "prio"]
    static var bondKeys: [String] { structural + options }
    /// Options a `set` step may change at run time (`mode` and `fail_over_mac` need a bond without slaves).
    package static var settable: [String] { options + ["active_slave"] }

    static let int32Max = Int(Int32.max)
}

extension PlaybookDecoder {
    /// Decodes `bonds: {NAME: {...}}` entries of one host. Slave/primary references are checked later,
    /// when all cables are known.
    func decodeBond(host: String, name: String, keyNode: Node, value: Node, path: String) -> BondDecl? {
        let context = "bond \(host)/\(name)"
        guard let view = reader.mapping(value, path) else { return nil }
        reader.checkKeys(view, allowed: BondOptionKeys.bondKeys, context: context)
        var mode: BondMode?
        if let node = view["mode"] {
            mode = reader.named(node, "\(path).mode", BondMode.self)
        } else {
            reader.error(keyNode, "\(path): \(context) needs a 'mode' (one of \(BondMode.spellings))")
        }
        var slaves: [(String, Node)] = []
        if let node = view["slaves"], let items = reader.list(node, "\(path).slaves") {
            for (index, item) in items.enumerated() {
                guard let slave = reader.string(item, "\(path).slaves[\(index)]", expected: "an interface name") else {
                    continue
                }
                if slaves.contains(where: { $0.0 == slave }) {
                    reader.error(item, "\(path).slaves[\(index)]: \(slave) is listed twice")
                    continue
                }
                slaves.append((slave, item))
            }
        }
        if slaves.isEmpty && !view.has("slaves") {
            reader.error(keyNode, "\(path): \(context) needs 'slaves' (a list of this host's cables)")
        } else if slaves.isEmpty, let node = view["slaves"], case .sequence = node {
            reader.error(node, "\(path).slaves: \(context) needs at least one slave")
        }
        var declaration = BondDecl(
            host: host, name: name, keyNode: keyNode, location: reader.location(keyNode), mode: mode ?? .balanceRR,
            modeKnown: mode != nil, slaves: slaves)
        if let node = view["mac"] { declaration.mac = reader.mac(node, "\(path).mac") }
        if view.has("address") && view.has("addresses") {
            reader.error(view.keyNode("addresses"), "\(path): give either 'address' or 'addresses', not both")
        }
        if let key = ["address", "addresses"].first(where: view.has), let node = view[key] {
            declaration.addressNode = node
            (declaration.addresses, declaration.addressMarks) = decodeAddressList(node, "\(path).\(key)")
            declaration.addressMarks["bond"] = reader.mark(node, "\(path).address")
            declaration.addressMarks["interface"] = reader.mark(keyNode, path)
        }
        if let node = view["prio"],
            let prioView = reader.mapping(node, "\(path).prio", expected: "a mapping slave: priority")
        {
            for entry in prioView.entries {
                let min = Int(Int32.min)
                if let value = reader.int(
                    entry.value, "\(path).prio.\(entry.key)", range: min...BondOptionKeys.int32Max)
                {
                    declaration.options.slavePrio[entry.key] = Int32(value)
                    declaration.prioNodes.append((entry.key, entry.keyNode))
                }
            }
        }
        var grat: (Int, Node)?
        for entry in view.entries where BondOptionKeys.options.contains(entry.key) {
            declaration.optionNodes[entry.key] = entry.keyNode
            let optionPath = "\(path).\(entry.key)"
            switch entry.key {
            case "num_grat_arp", "num_unsol_na":
                guard let count = reader.int(entry.value, optionPath, range: 0...255) else { continue }
                if let (other, _) = grat, other != count {
                    reader.error(
                        entry.keyNode,
                        "\(optionPath): num_grat_arp and num_unsol_na are one kernel setting; both given with different values (\(other) and \(count))"
                    )
                }
                grat = (count, entry.value)
                declaration.options.numPeerNotif = count
            default:
                applyOption(entry.key, entry.value, optionPath, to: &declaration.options)
            }
        }
        return declaration
    }

    /// Parses one option value into `options`. Returns the kernel spelling of the value (for `set`), nil on error.
    @discardableResult
    package func applyOption(_ key: String, _ node: Node, _ path: String, to options: inout BondOptions) -> String? {
        let ms = 0...BondOptionKeys.int32Max
        switch key {
        case "miimon": return store(reader.milliseconds(node, path, range: ms), &options.miimon)
        case "updelay": return store(reader.milliseconds(node, path, range: ms), &options.updelay)
        case "downdelay": return store(reader.milliseconds(node, path, range: ms), &options.downdelay)
        case "arp_interval": return store(reader.milliseconds(node, path, range: ms), &options.arpInterval)
        case "peer_notif_delay":
            return store(reader.milliseconds(node, path, range: 0...300_000), &options.peerNotifDelay)
        case "lp_interval":
            return store(reader.int(node, path, range: 1...BondOptionKeys.int32Max), &options.lpInterval)
        case "use_carrier": return storeBool(reader.bool(node, path), &options.useCarrier)
        case "all_slaves_active": return storeBool(reader.bool(node, path), &options.allSlavesActive)
        case "tlb_dynamic_lb": return storeBool(reader.bool(node, path), &options.tlbDynamicLB)
        case "arp_missed_max": return store(reader.int(node, path, range: 1...255), &options.arpMissedMax)
        case "num_grat_arp", "num_unsol_na": return store(reader.int(node, path, range: 0...255), &options.numPeerNotif)
        case "resend_igmp": return store(reader.int(node, path, range: 0...255), &options.resendIGMP)
        case "packets_per_slave": return store(reader.int(node, path, range: 0...65535), &options.packetsPerSlave)
        case "ad_actor_sys_prio": return store(reader.int(node, path, range: 1...65535), &options.adActorSysPrio)
        case "ad_user_port_key": return store(reader.int(node, path, range: 0...1023), &options.adUserPortKey)
        case "min_links": return store(reader.int(node, path, range: 0...BondOptionKeys.int32Max), &options.minLinks)
        case "arp_validate": return storeNamed(reader.named(node, path, ArpValidate.self), &options.arpValidate)
        case "arp_all_targets": return storeNamed(reader.named(node, path, ArpAllTargets.self), &options.arpAllTargets)
        case "primary_reselect":
            return storeNamed(reader.named(node, path, PrimaryReselect.self), &options.primaryReselect)
        case "fail_over_mac": return storeNamed(reader.named(node, path, FailOverMAC.self), &options.failOverMAC)
        case "lacp_rate": return storeNamed(reader.named(node, path, LACPRate.self), &options.lacpRate)
        case "lacp_active":
            if case .scalar(let scalar) = node, ["true", "false"].contains(scalar.string) {
                options.lacpActive = scalar.string == "true" ? .on : .off
                return options.lacpActive?.rawValue
            }
            return storeNamed(reader.named(node, path, LACPActive.self), &options.lacpActive)
        case "ad_select": return storeNamed(reader.named(node, path, ADSelect.self), &options.adSelect)
        case "xmit_hash_policy":
            return storeNamed(reader.named(node, path, XmitHashPolicy.self), &options.xmitHashPolicy)
        case "ad_actor_system":
            guard let mac = reader.mac(node, path) else { return nil }
            options.adActorSystem = mac
            return mac.description
        case "primary":
            guard let name = reader.string(node, path, expected: "a slave name") else { return nil }
            options.primary = name
            return name
        case "arp_ip_target", "ns_ip6_target":
            let v6 = key == "ns_ip6_target"
            guard let items = reader.list(node, path) else { return nil }
            var targets: [IPAddress] = []
            for (index, item) in items.enumerated() {
                guard let address = reader.ipAddress(item, "\(path)[\(index)]") else { continue }
                if (address.family == .ipv6) != v6 {
                    reader.error(
                        item, "\(path)[\(index)]: \(key) takes \(v6 ? "IPv6" : "IPv4") addresses, found \(address)")
                    continue
                }
                targets.append(address)
            }
            if targets.count > 16 {
                reader.error(node, "\(path): at most 16 targets, found \(targets.count)")
                return nil
            }
            if v6 { options.nsIP6Targets = targets } else { options.arpIPTargets = targets }
            return targets.map(\.description).joined(separator: ",")
        default:
            reader.error(node, "\(path): unknown bond option '\(key)'")
            return nil
        }
    }

    private func store(_ value: Int?, _ slot: inout Int?) -> String? {
        guard let value else { return nil }
        slot = value
        return String(value)
    }

    private func storeBool(_ value: Bool?, _ slot: inout Bool?) -> String? {
        guard let value else { return nil }
        slot = value
        return value ? "1" : "0"
    }

    private func storeNamed<Value: KernelNamedValue>(_ value: Value?, _ slot: inout Value?) -> String? {
        guard let value else { return nil }
        slot = value
        return value.rawValue
    }
}

/// A bond as written, with the nodes diagnostics point at.
package struct BondDecl {
    var host: String
    var name: String
    var keyNode: Node
    var location: SourceLocation
    package var mode: BondMode
    package var modeKnown: Bool
    package var slaves: [(String, Node)]
    var options = BondOptions()
    var optionNodes: [String: Node] = [:]
    var prioNodes: [(String, Node)] = []
    var mac: MACAddress?
    var addresses: [InterfaceAddress] = []
    var addressNode: Node?
    var addressMarks = SourceMarks()

    var bond: Bond {
        Bond(
            name: name, mode: mode, slaves: slaves.map(\.0), options: options, mac: mac, location: location,
            marks: marks)
    }

    /// Where slaves, options and `prio` entries were written (`mode` only when it could be read).
    var marks: SourceMarks {
        let path = "topology.hosts.\(host).bonds.\(name)"
        func mark(_ node: Node, _ part: String) -> SourceMark {
            let nodeMark = node.mark
            return SourceMark(
                location: SourceLocation(
                    file: location.file, line: nodeMark?.line ?? location.line,
                    column: nodeMark?.column ?? location.column),
                path: "\(path).\(part)")
        }
        var marks = SourceMarks(["name": SourceMark(location: location, path: path)])
        if modeKnown { marks["mode"] = SourceMark(location: location, path: "\(path).mode") }
        for (slave, node) in slaves { marks["slave:\(slave)"] = mark(node, "slaves") }
        for (key, node) in optionNodes { marks["option:\(key)"] = mark(node, key) }
        for (slave, node) in prioNodes { marks["prio:\(slave)"] = mark(node, "prio.\(slave)") }
        return marks
    }
}
