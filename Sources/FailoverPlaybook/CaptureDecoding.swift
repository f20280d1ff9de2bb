import FailoverModel
import Yams

// `captures:` is a top-level section like `probes:`; the families' `DecodingRegistry` holds
// step and assertion kinds only, so it is read here, next to the probes. References (switches,
// hosts, interfaces) are checked on the model by `CaptureChecks`.
extension PlaybookDecoder {
    static let captureKeys = ["name", "port", "interface", "filter"]

    /// `captures: auto` or a list of `{name, port: sw/host-if | interface: host/if, filter?}`.
    /// Call after the topology and the probes (`auto` excludes the probes' ports).
    func decodeCaptures(_ node: Node) -> [CaptureSpec] {
        if case .scalar(let scalar) = node, !NodeReader.isNull(node) {
            guard scalar.string == "auto" else {
                reader.error(node, "captures: expected auto or a list of captures, found '\(scalar.string)'")
                return []
            }
            let topology = Topology(switches: switches, hosts: hostOrder.compactMap { hosts[$0]?.host }, cables: cables)
            let expanded = CaptureSpec.auto(topology, probes: probes, location: location(node))
            if expanded.isEmpty { reader.error(node, "captures: auto: the topology has no switch port to capture") }
            return expanded
        }
        guard let items = reader.list(node, "captures", allowSingle: false) else { return [] }
        var result: [CaptureSpec] = []
        for (index, item) in items.enumerated() {
            let path = "captures[\(index)]"
            guard let view = reader.mapping(item, path) else { continue }
            reader.checkKeys(view, allowed: Self.captureKeys, context: "capture")
            var marks = SourceMarks()
            guard let nameNode = view["name"] else {
                reader.error(item, "\(path): a capture needs 'name'")
                continue
            }
            guard let name = reader.string(nameNode, "\(path).name"),
                checkNodeName(name, nameNode, "\(path).name", what: "capture", limit: 32)
            else { continue }
            marks["name"] = reader.mark(nameNode, "\(path).name")
            if result.contains(where: { $0.name == name }) {
                reader.error(nameNode, "\(path).name: capture \(name) is declared twice")
                continue
            }
            let port = view["port"]
            let interface = view["interface"]
            var target: CaptureSpec.Target?
            switch (port, interface) {
            case (nil, nil):
                reader.error(
                    item, "\(path): a capture needs 'port' (switch/host-interface) or 'interface' (host/interface)")
            case (.some, .some):
                reader.error(interface, "\(path): give either 'port' or 'interface', not both")
            case (let node?, nil):
                guard let text = reader.string(node, "\(path).port", expected: "a switch port like sw1/server-eth0")
                else { break }
                marks["port"] = reader.mark(node, "\(path).port")
                target = switchPort(text)
                if target == nil {
                    reader.error(
                        node, "\(path).port: expected switch/host-interface (sw1/server-eth0), found '\(text)'")
                }
            case (nil, let node?):
                guard let text = reader.string(node, "\(path).interface", expected: "host/interface") else { break }
                marks["interface"] = reader.mark(node, "\(path).interface")
                if let ref = InterfaceRef(text) {
                    target = .interface(ref)
                } else {
                    reader.error(node, "\(path).interface: expected host/interface, found '\(text)'")
                }
            }
            var filter: String?
            if let node = view["filter"], let text = reader.string(node, "\(path).filter", expected: "a BPF filter") {
                filter = text
                marks["filter"] = reader.mark(node, "\(path).filter")
            }
            guard let target else { continue }
            result.append(
                CaptureSpec(name: name, target: target, filter: filter, location: location(item), marks: marks))
        }
        return result
    }

    /// `sw1/server-eth0`: the switch, and the host interface its port faces. The port's name is
    /// `<host>-<interface>`; a host name may itself contain '-', so the split is at the first '-'
    /// whose left part is a declared host (else at the first '-').
    func switchPort(_ text: String) -> CaptureSpec.Target? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty else { return nil }
        let port = String(parts[1])
        let dashes = port.indices.filter { port[$0] == "-" }
        guard !dashes.isEmpty else { return nil }
        let split = dashes.first { hosts[String(port[..<$0])] != nil } ?? dashes[0]
        let host = String(port[..<split])
        let interface = String(port[port.index(after: split)...])
        guard !host.isEmpty, !interface.isEmpty else { return nil }
        return .port(switch: String(parts[0]), facing: InterfaceRef(host: host, interface: interface))
    }
}
