import FailoverModel
import Yams

/// A switch written as a mapping: `{name: sw2, lags: {po1: {ports: [server/eth0], lacp_rate: fast}},
/// peer_link: sw1}`. Syntax only; which ports are cabled to the switch, a port in two LAGs and the
/// peer link's far switch are checked on the model (`LAGChecks`).
extension PlaybookDecoder {
    static let switchKeys = ["name", "lags", "peer_link"]
    static let lagKeys = ["ports", "mode"] + SwitchLAG.optionKeys

    func decodeSwitchMapping(_ item: Node, _ path: String) -> Switch? {
        guard let view = reader.mapping(item, path) else { return nil }
        reader.checkKeys(view, allowed: Self.switchKeys, context: "switch")
        guard let nameNode = view["name"] else {
            reader.error(item, "\(path): a switch written as a mapping needs a 'name'")
            return nil
        }
        guard let name = reader.string(nameNode, "\(path).name", expected: "a switch name"),
            checkNodeName(name, nameNode, "\(path).name", what: "switch")
        else { return nil }
        if switches.contains(where: { $0.name == name }) {
            reader.error(nameNode, "\(path): switch \(name) is declared twice")
            return nil
        }
        var marks = SourceMarks(["name": reader.mark(nameNode, "\(path).name")])
        var peerLink: String?
        if let node = view["peer_link"], let other = reader.string(node, "\(path).peer_link", expected: "a switch name")
        {
            peerLink = other
            marks["peer_link"] = reader.mark(node, "\(path).peer_link")
        }
        var lags: [SwitchLAG] = []
        if let node = view["lags"],
            let lagsView = reader.mapping(node, "\(path).lags", expected: "a mapping NAME: {ports: [host/if, ...]}")
        {
            for entry in lagsView.entries {
                let lagPath = "\(path).lags.\(entry.key)"
                guard checkInterfaceName(entry.key, entry.keyNode, lagPath) else { continue }
                if entry.key == "br0" {
                    reader.error(entry.keyNode, "\(lagPath): \(entry.key) is the switch's bridge; name the LAG po1, …")
                    continue
                }
                if let lag = decodeLAG(entry.key, entry.keyNode, entry.value, lagPath) { lags.append(lag) }
            }
        }
        return Switch(name: name, location: location(nameNode), lags: lags, peerLink: peerLink, marks: marks)
    }

    func decodeLAG(_ name: String, _ keyNode: Node, _ value: Node, _ path: String) -> SwitchLAG? {
        guard let view = reader.mapping(value, path, expected: "a mapping with ports and LACP options") else {
            return nil
        }
        reader.checkKeys(view, allowed: Self.lagKeys, context: "LAG \(name)")
        var marks = SourceMarks(["name": reader.mark(keyNode, path)])
        var mode = BondMode.ieee8023ad
        if let node = view["mode"], let named = reader.named(node, "\(path).mode", BondMode.self) {
            if SwitchLAG.modes.contains(named) {
                mode = named
                marks["mode"] = reader.mark(node, "\(path).mode")
            } else {
                reader.error(
                    node,
                    "\(path).mode: a LAG is 802.3ad (LACP) or balance-xor (static), found \(named.rawValue)")
            }
        }
        var ports: [InterfaceRef] = []
        if let node = view["ports"], let items = reader.list(node, "\(path).ports") {
            for (index, item) in items.enumerated() {
                guard let ref = reader.ref(item, "\(path).ports[\(index)]") else { continue }
                if ports.contains(ref) {
                    reader.error(item, "\(path).ports[\(index)]: \(ref) is listed twice")
                    continue
                }
                ports.append(ref)
                marks["port:\(ref)"] = reader.mark(item, "\(path).ports[\(index)]")
            }
            if items.isEmpty { reader.error(node, "\(path).ports: LAG \(name) needs at least one port") }
        } else if !view.has("ports") {
            reader.error(keyNode, "\(path): LAG \(name) needs 'ports' (host ends of cables to this switch)")
        }
        var options = BondOptions()
        for entry in view.entries where SwitchLAG.optionKeys.contains(entry.key) {
            applyOption(entry.key, entry.value, "\(path).\(entry.key)", to: &options)
            marks["option:\(entry.key)"] = reader.mark(entry.keyNode, "\(path).\(entry.key)")
        }
        if mode == .balanceXOR {
            for key in ["lacp_rate", "lacp_active", "ad_actor_system", "ad_actor_sys_prio", "ad_user_port_key"]
            where view.has(key) {
                reader.error(
                    view.keyNode(key), "\(path).\(key): \(key) is an LACP option; a balance-xor LAG is static")
            }
        }
        return SwitchLAG(
            name: name, mode: mode, ports: ports, options: options, location: location(keyNode), marks: marks)
    }
}
