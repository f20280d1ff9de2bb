import FailoverModel
import Yams

/// The `carp:` section of the topology: a list of CARP groups (ucarp peers). References
/// (hosts, interfaces), address ranges and duplicate vhids are checked on the model
/// (`CarpChecks`); here only shapes, types and value ranges.
extension PlaybookDecoder {
    static let carpGroupKeys = ["name", "vip", "vhid", "advbase", "password", "preempt", "members"]
    static let carpMemberKeys = ["node", "interface", "advskew"]

    func decodeCarp(_ node: Node) {
        guard let items = reader.list(node, "topology.carp", allowSingle: false) else { return }
        for (index, item) in items.enumerated() {
            if let group = decodeCarpGroup(item, "topology.carp[\(index)]") { carp.append(group) }
        }
    }

    private func decodeCarpGroup(_ node: Node, _ path: String) -> CarpGroup? {
        guard let view = reader.mapping(node, path) else { return nil }
        reader.checkKeys(view, allowed: Self.carpGroupKeys, context: path)
        var marks = SourceMarks()
        func required(_ key: String) -> Node? {
            if let value = view[key] {
                marks[key] = reader.mark(value, "\(path).\(key)")
                return value
            }
            if !reader.misspelled(key, in: view, allowed: Self.carpGroupKeys) {
                reader.error(node, "\(path): missing required key '\(key)'")
            }
            return nil
        }
        let name = required("name").flatMap { reader.string($0, "\(path).name", expected: "a group name") }
        if let name, let nameNode = view["name"], !checkNodeName(name, nameNode, "\(path).name", what: "CARP group") {
            return nil
        }
        let vip = required("vip").flatMap { reader.interfaceAddress($0, "\(path).vip") }
        let vhid = required("vhid").flatMap { reader.int($0, "\(path).vhid", range: 1...255) }
        var advbase: Int? = 1
        if let value = view["advbase"] {
            marks["advbase"] = reader.mark(value, "\(path).advbase")
            advbase = reader.int(value, "\(path).advbase", range: 1...255, unit: " s")
        }
        var password: CarpPassword?
        if let value = required("password") {
            // Never quoted in a diagnostic: only its length is.
            if case .scalar(let scalar) = value, !NodeReader.isNull(value) {
                let text = scalar.string
                if text.isEmpty {
                    reader.error(value, "\(path).password: must not be empty")
                } else if text.count > 20 {
                    reader.error(value, "\(path).password: \(text.count) characters; ucarp takes at most 20")
                } else if text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) {
                    reader.error(
                        value, "\(path).password: must be one line (ucarp reads one line of its password file)")
                } else {
                    password = CarpPassword(text)
                }
            } else {
                reader.error(value, "\(path).password: expected a text value")
            }
        }
        var preempt: Bool? = false
        if let value = view["preempt"] {
            marks["preempt"] = reader.mark(value, "\(path).preempt")
            preempt = reader.bool(value, "\(path).preempt")
        }
        var members: [CarpMember]?
        if let value = required("members"), let list = reader.list(value, "\(path).members", allowSingle: false) {
            members = []
            if list.isEmpty { reader.error(value, "\(path).members: a group needs at least one member") }
            for (position, item) in list.enumerated() {
                if let member = decodeCarpMember(item, "\(path).members[\(position)]") { members?.append(member) }
            }
        }
        guard let name, let vip, let vhid, let advbase, let password, let preempt, let members else { return nil }
        return CarpGroup(
            name: name, vip: vip, vhid: vhid, advbase: advbase, password: password, preempt: preempt,
            members: members, location: location(node), marks: marks)
    }

    private func decodeCarpMember(_ node: Node, _ path: String) -> CarpMember? {
        guard let view = reader.mapping(node, path, expected: "a mapping with node, interface and advskew") else {
            return nil
        }
        reader.checkKeys(view, allowed: Self.carpMemberKeys, context: path)
        var marks = SourceMarks()
        marks["member"] = reader.mark(node, path)
        func required(_ key: String) -> Node? {
            if let value = view[key] {
                marks[key] = reader.mark(value, "\(path).\(key)")
                return value
            }
            if !reader.misspelled(key, in: view, allowed: Self.carpMemberKeys) {
                reader.error(node, "\(path): missing required key '\(key)'")
            }
            return nil
        }
        let host = required("node").flatMap { reader.string($0, "\(path).node", expected: "a host name") }
        let interface = required("interface").flatMap {
            reader.string($0, "\(path).interface", expected: "an interface")
        }
        var advskew: Int? = 0
        if let value = view["advskew"] {
            marks["advskew"] = reader.mark(value, "\(path).advskew")
            advskew = reader.int(value, "\(path).advskew", range: 0...255)
        }
        guard let host, let interface, let advskew else { return nil }
        return CarpMember(node: host, interface: interface, advskew: advskew, marks: marks)
    }
}
