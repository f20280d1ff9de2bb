import FailoverModel
import Yams

/// Turns a composed YAML tree into a `Playbook`, collecting every problem with its location.
public final class PlaybookDecoder {
    public let reader: NodeReader
    /// The families whose steps and assertions this decoder reads.
    public let registry: DecodingRegistry
    var allowAnyAddresses = false

    // Topology as decoded, for reference checks in steps, probes and assertions.
    var switches: [Switch] = []
    var hostOrder: [String] = []
    var hosts: [String: HostDecl] = [:]
    var cables: [Cable] = []
    var probes: [ProbeSpec] = []
    var carp: [CarpGroup] = []

    static let topKeys = [
        "name", "description", "seed", "references", "topology", "probes", "captures", "steps", "allow_any_addresses",
        "matrix",
    ]
    static let hostKeys = ["cables", "bonds", "address", "addresses", "routes"]

    init(file: String, registry: DecodingRegistry) {
        reader = NodeReader(file: file)
        self.registry = registry
    }

    func location(_ node: Node?) -> SourceLocation { reader.location(node) }

    func decode(_ root: Node) -> Playbook? {
        guard let top = reader.mapping(root, "playbook", expected: "a mapping with name, topology and steps") else {
            return nil
        }
        reader.checkKeys(top, allowed: Self.topKeys, context: "the playbook (top level)")
        if let node = top["allow_any_addresses"] {
            allowAnyAddresses = reader.bool(node, "allow_any_addresses") ?? false
        }
        var name = ""
        if let node = top["name"] {
            if let text = reader.string(node, "name") {
                name = text
                if text.allSatisfy(\.isWhitespace) { reader.error(node, "name: must not be empty") }
            }
        } else if !reader.misspelled("name", in: top, allowed: Self.topKeys) {
            reader.error(root, "playbook: missing required key 'name'")
        }
        let description = top["description"].flatMap { reader.string($0, "description") }
        let seed = top["seed"].flatMap { reader.string($0, "seed") }
        var references: [String] = []
        if let node = top["references"], let items = reader.list(node, "references") {
            references = items.enumerated().compactMap { reader.string($1, "references[\($0)]") }
        }
        if let node = top["topology"] {
            decodeTopology(node)
        } else if !reader.misspelled("topology", in: top, allowed: Self.topKeys) {
            reader.error(root, "playbook: missing required key 'topology'")
        }
        if let node = top["probes"] { decodeProbes(node) }
        let captures = top["captures"].map { decodeCaptures($0) } ?? []
        var steps: [Step] = []
        if let node = top["steps"] {
            steps = decodeSteps(node)
        } else if !reader.misspelled("steps", in: top, allowed: Self.topKeys) {
            reader.error(root, "playbook: missing required key 'steps'")
        }
        let topology = Topology(
            switches: switches, hosts: hostOrder.compactMap { hosts[$0]?.host }, cables: cables, carp: carp)
        var playbook = Playbook(
            name: name, description: description, seed: seed, references: references, topology: topology,
            probes: probes, steps: steps, file: reader.file)
        playbook.captures = captures
        return playbook
    }

    // MARK: Names

    /// Host, switch and probe names (`NameRules.nodeNameProblem`); reports and returns false
    /// when invalid (the object is then left out of the model).
    func checkNodeName(_ name: String, _ node: Node, _ path: String, what: String, limit: Int = 20) -> Bool {
        guard let problem = NameRules.nodeNameProblem(name, what: what, limit: limit) else { return true }
        reader.error(node, "\(path): \(problem)")
        return false
    }

    /// Linux interface names (`NameRules.interfaceNameProblem`); reports and returns false when
    /// invalid (the object is then left out of the model).
    func checkInterfaceName(_ name: String, _ node: Node, _ path: String, allowLoopback: Bool = false) -> Bool {
        guard let problem = NameRules.interfaceNameProblem(name, allowLoopback: allowLoopback) else { return true }
        reader.error(node, "\(path): \(problem)")
        return false
    }

    // MARK: Topology

    func decodeTopology(_ node: Node) {
        guard let view = reader.mapping(node, "topology") else { return }
        reader.checkKeys(view, allowed: ["switches", "hosts", "carp"], context: "topology")
        if let node = view["switches"], let items = reader.list(node, "topology.switches") {
            for (index, item) in items.enumerated() {
                let path = "topology.switches[\(index)]"
                if case .mapping = item {
                    if let sw = decodeSwitchMapping(item, path) { switches.append(sw) }
                    continue
                }
                guard let name = reader.string(item, path, expected: "a switch name (or a mapping with name, lags)"),
                    checkNodeName(name, item, path, what: "switch")
                else { continue }
                if switches.contains(where: { $0.name == name }) {
                    reader.error(item, "\(path): switch \(name) is declared twice")
                    continue
                }
                switches.append(Switch(name: name, location: location(item)))
            }
        }
        guard let hostsNode = view["hosts"] else {
            if !reader.misspelled("hosts", in: view, allowed: ["switches", "hosts"]) {
                reader.error(node, "topology: missing required key 'hosts'")
            }
            return
        }
        guard let hostsView = reader.mapping(hostsNode, "topology.hosts") else { return }
        for entry in hostsView.entries {
            let path = "topology.hosts.\(entry.key)"
            guard checkNodeName(entry.key, entry.keyNode, path, what: "host") else { continue }
            if switches.contains(where: { $0.name == entry.key }) {
                reader.error(
                    entry.keyNode,
                    "\(path): '\(entry.key)' is already a switch; hosts and switches share one name space")
                continue
            }
            decodeHost(entry.key, entry.keyNode, entry.value, path)
        }
        resolveCables()
        if let node = view["carp"] { decodeCarp(node) }
        // Slaves, addresses, routes, ranges and mode warnings: PlaybookChecker, on the model.
        assignDefaultAddresses()
    }

    func decodeHost(_ name: String, _ keyNode: Node, _ value: Node, _ path: String) {
        var declaration = HostDecl(name: name, keyNode: keyNode, location: location(keyNode))
        hostOrder.append(name)
        defer { hosts[name] = declaration }
        if NodeReader.isNull(value) { return }
        guard let view = reader.mapping(value, path) else { return }
        reader.checkKeys(view, allowed: Self.hostKeys, context: "host \(name)")
        if let node = view["cables"],
            let cablesView = reader.mapping(node, "\(path).cables", expected: "a mapping interface: switch")
        {
            for entry in cablesView.entries {
                let cablePath = "\(path).cables.\(entry.key)"
                guard checkInterfaceName(entry.key, entry.keyNode, cablePath) else { continue }
                if let cable = decodeCable(host: name, interface: entry.key, entry.keyNode, entry.value, cablePath) {
                    declaration.cables.append(cable)
                }
            }
        }
        if let node = view["bonds"], let bondsView = reader.mapping(node, "\(path).bonds") {
            for entry in bondsView.entries {
                let bondPath = "\(path).bonds.\(entry.key)"
                guard checkInterfaceName(entry.key, entry.keyNode, bondPath) else { continue }
                if declaration.cables.contains(where: { $0.interface == entry.key }) {
                    reader.error(
                        entry.keyNode, "\(bondPath): bond \(name)/\(entry.key) has the name of a cable of \(name)")
                    continue
                }
                if let bond = decodeBond(
                    host: name, name: entry.key, keyNode: entry.keyNode, value: entry.value, path: bondPath)
                {
                    declaration.bonds.append(bond)
                }
            }
        }
        if view.has("address") && view.has("addresses") {
            reader.error(view.keyNode("addresses"), "\(path): give either 'address' or 'addresses', not both")
        }
        if let key = ["address", "addresses"].first(where: view.has), let node = view[key],
            let addressView = reader.mapping(node, "\(path).\(key)", expected: "a mapping interface: address")
        {
            for entry in addressView.entries {
                let addressPath = "\(path).\(key).\(entry.key)"
                var (list, marks) = decodeAddressList(entry.value, addressPath)
                marks["interface"] = reader.mark(entry.keyNode, "\(path).address")
                declaration.addresses.append(
                    AddressDecl(interface: entry.key, keyNode: entry.keyNode, addresses: list, marks: marks))
            }
        }
        if let node = view["routes"], let items = reader.list(node, "\(path).routes", allowSingle: false) {
            for (index, item) in items.enumerated() {
                if let route = decodeRoute(item, "\(path).routes[\(index)]") { declaration.routes.append(route) }
            }
        }
    }

    /// The addresses, and the mark of each (`address[I]`, I counting the valid ones).
    func decodeAddressList(_ node: Node, _ path: String) -> ([InterfaceAddress], SourceMarks) {
        guard let items = reader.list(node, path) else { return ([], SourceMarks()) }
        var result: [InterfaceAddress] = []
        var marks = SourceMarks()
        for (index, item) in items.enumerated() {
            let itemPath = items.count == 1 && !isSequence(node) ? path : "\(path)[\(index)]"
            guard let address = reader.interfaceAddress(item, itemPath) else { continue }
            marks["address[\(result.count)]"] = reader.mark(item, itemPath)
            result.append(address)
        }
        return (result, marks)
    }

    private func isSequence(_ node: Node) -> Bool {
        if case .sequence = node { return true }
        return false
    }

    func decodeCable(host: String, interface: String, _ keyNode: Node, _ value: Node, _ path: String) -> CableDecl? {
        var targetNode = value
        var mac: MACAddress?
        if case .mapping = value {
            guard let view = reader.mapping(value, path) else { return nil }
            reader.checkKeys(view, allowed: ["to", "mac"], context: "cable \(host)/\(interface)")
            if let node = view["mac"] { mac = reader.mac(node, "\(path).mac") }
            guard let to = view["to"] else {
                reader.error(value, "\(path): cable \(host)/\(interface) needs 'to' (a switch or host/interface)")
                return nil
            }
            targetNode = to
        }
        guard let target = reader.string(targetNode, path, expected: "a switch name or host/interface") else {
            return nil
        }
        let far: Cable.FarEnd
        if target.contains("/") {
            guard let ref = InterfaceRef(target) else {
                reader.error(targetNode, "\(path): expected a switch name or host/interface, found '\(target)'")
                return nil
            }
            far = .host(ref)
        } else {
            far = .switch(target)
        }
        return CableDecl(host: host, interface: interface, keyNode: keyNode, targetNode: targetNode, far: far, mac: mac)
    }

    func decodeRoute(_ node: Node, _ path: String) -> Route? {
        guard let view = reader.mapping(node, path) else { return nil }
        reader.checkKeys(view, allowed: ["to", "via", "dev"], context: "route")
        var marks = SourceMarks(["route": reader.mark(node, path)])
        var destination: InterfaceAddress?
        var isDefault = false
        var ok = true
        if let to = view["to"] {
            if case .scalar(let scalar) = to, scalar.string == "default" {
                isDefault = true
            } else if let prefix = reader.interfaceAddress(to, "\(path).to") {
                destination = prefix
                marks["to"] = reader.mark(to, "\(path).to")
            } else {
                ok = false
            }
        } else {
            reader.error(node, "\(path): a route needs 'to' (default or a prefix)")
            ok = false
        }
        var via: IPAddress?
        if let node = view["via"] {
            via = reader.ipAddress(node, "\(path).via")
            if via != nil { marks["via"] = reader.mark(node, "\(path).via") } else { ok = false }
        }
        var device: String?
        if let node = view["dev"] {
            device = reader.string(node, "\(path).dev", expected: "an interface name")
            if device != nil { marks["dev"] = reader.mark(node, "\(path).dev") }
        }
        if view["via"] == nil && view["dev"] == nil {
            reader.error(node, "\(path): a route needs 'via' or 'dev'")
            ok = false
        }
        let family = destination?.family ?? via?.family ?? .ipv4
        if let destination, let via, destination.family != via.family {
            reader.error(node, "\(path): 'to' and 'via' are of different address families")
            ok = false
        }
        guard ok else { return nil }
        _ = isDefault
        return Route(destination: destination, family: family, via: via, device: device, marks: marks)
    }

    /// Checks every cable's far end, merges host-to-host cables declared on both sides, and
    /// builds each host's interface list.
    func resolveCables() {
        var seen: Set<InterfaceRef> = []
        let allDeclared = hostOrder.flatMap { hosts[$0]?.cables ?? [] }
        var declaredAt: [InterfaceRef: CableDecl] = [:]
        for cable in allDeclared { declaredAt[cable.ref] = cable }
        for cable in allDeclared {
            let path = "topology.hosts.\(cable.host).cables.\(cable.interface)"
            // Whether the far end exists, is not the near end and not a bond: ObjectChecks, on the
            // model (the cable is kept for it); here only what the YAML spells twice or wrongly.
            let model = Cable(a: cable.ref, b: cable.far, location: location(cable.keyNode), marks: cable.marks(reader))
            switch cable.far {
            case .switch:
                seen.insert(cable.ref)
                cables.append(model)
            case .host(let far):
                guard let farHost = hosts[far.host], far != cable.ref,
                    !farHost.bonds.contains(where: { $0.name == far.interface }) || declaredAt[far] != nil
                else {
                    cables.append(model)
                    continue
                }
                if let other = declaredAt[far] {
                    // Declared on both sides: must agree; build it once, at the first declaration.
                    guard case .host(let back) = other.far, back == cable.ref else {
                        reader.error(
                            cable.targetNode,
                            "\(path): cable \(cable.ref) goes to \(far), but \(far) is declared as a cable to \(other.targetText)"
                        )
                        continue
                    }
                    if seen.contains(far) { continue }
                } else if !checkInterfaceName(far.interface, cable.targetNode, path) {
                    continue
                } else {
                    hosts[far.host]?.implicitInterfaces.append(far.interface)
                }
                if seen.contains(far) || seen.contains(cable.ref) {
                    reader.error(cable.targetNode, "\(path): \(far) already has a cable")
                    continue
                }
                seen.insert(cable.ref)
                seen.insert(far)
                cables.append(model)
            }
        }
        // Implicit far ends that a host also uses itself for something else.
        for name in hostOrder {
            guard let host = hosts[name] else { continue }
            var counts: [String: Int] = [:]
            for interface in host.implicitInterfaces { counts[interface, default: 0] += 1 }
            for (interface, count) in counts where count > 1 {
                reader.error(
                    host.keyNode, "topology.hosts.\(name): \(name)/\(interface) is the far end of \(count) cables")
            }
        }
    }

    package static func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: ", ") }

}

struct CableDecl {
    var host: String
    var interface: String
    var keyNode: Node
    var targetNode: Node
    var far: Cable.FarEnd
    var mac: MACAddress?

    var ref: InterfaceRef { InterfaceRef(host: host, interface: interface) }
    func marks(_ reader: NodeReader) -> SourceMarks {
        let path = "topology.hosts.\(host).cables.\(interface)"
        return SourceMarks(["a": reader.mark(keyNode, path), "b": reader.mark(targetNode, path)])
    }
    var targetText: String {
        switch far {
        case .switch(let name): name
        case .host(let ref): ref.description
        }
    }
}

struct AddressDecl {
    var interface: String
    var keyNode: Node
    var addresses: [InterfaceAddress]
    var marks = SourceMarks()
}

struct HostDecl {
    var name: String
    var keyNode: Node
    var location: SourceLocation
    var cables: [CableDecl] = []
    /// Far ends of host-to-host cables declared only by the other host.
    var implicitInterfaces: [String] = []
    var bonds: [BondDecl] = []
    var addresses: [AddressDecl] = []
    var routes: [Route] = []
    /// Filled by the address defaults.
    var defaultAddresses: [InterfaceAddresses] = []

    var interfaceNames: [String] { cables.map(\.interface) + implicitInterfaces }

    var host: Host {
        var all: [InterfaceAddresses] = []
        for bond in bonds where !bond.addresses.isEmpty {
            all.append(InterfaceAddresses(interface: bond.name, addresses: bond.addresses, marks: bond.addressMarks))
        }
        for address in addresses where !address.addresses.isEmpty {
            all.append(
                InterfaceAddresses(interface: address.interface, addresses: address.addresses, marks: address.marks))
        }
        all += defaultAddresses
        var macs: [String: MACAddress] = [:]
        for cable in cables { if let mac = cable.mac { macs[cable.interface] = mac } }
        return Host(
            name: name, interfaces: interfaceNames, bonds: bonds.map(\.bond), addresses: all, macs: macs,
            routes: routes,
            location: location)
    }
}
