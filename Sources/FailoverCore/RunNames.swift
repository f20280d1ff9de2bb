public import FailoverModel

/// Kernel names for one run: every namespace is `fo<run id>-<role>` so parallel runs never
/// collide and `failover cleanup` can find leftovers by prefix.
public struct RunNames: Sendable, Hashable {
    /// Six lowercase hex digits.
    public let runID: String
    /// The prefix every namespace of every run starts with.
    public static let prefix = "fo"
    /// Capture files being written in the temporary directory are `failover-capture-<pid>-<random>.pcap`
    /// (plus `.stderr`); `failover cleanup` removes those whose process is gone.
    public static let temporaryCapturePrefix = "failover-capture-"

    public init(runID: String) { self.runID = runID }

    /// A fresh random run id.
    public static func random() -> RunNames {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next(upperBound: UInt32(0x100_0000))
        let hex = String(value, radix: 16)
        return RunNames(runID: String(repeating: "0", count: 6 - hex.count) + hex)
    }

    /// Namespace of a host or a switch (hosts and switches share one name space).
    public func namespace(_ role: String) -> String { "\(Self.prefix)\(runID)-\(role)" }

    /// The bridge inside every switch namespace.
    public static let bridgeName = "br0"

    /// Name of the switch-side veth end of `cable` inside its switch namespace: `<host>-<if>`
    /// when that fits in 15 characters and is unique in that switch, else `p<index>`.
    public static func switchPortNames(_ topology: Topology) -> [InterfaceRef: String] {
        var result: [InterfaceRef: String] = [:]
        var used: [String: Set<String>] = [:]
        for (index, cable) in topology.cables.enumerated() {
            guard case .switch(let sw) = cable.b else { continue }
            var name = "\(cable.a.host)-\(cable.a.interface)"
            if name.utf8.count > 15 || used[sw, default: []].contains(name) { name = "p\(index)" }
            used[sw, default: []].insert(name)
            result[cable.a] = name
        }
        return result
    }

    /// A peer link between the bridges of switches `a` and `b`: its port in each.
    public struct PeerLink: Sendable, Hashable {
        public var a: String
        public var b: String
        public var portA: String
        public var portB: String
    }

    /// The topology's peer links, once each (declared on either switch), in declaration order.
    /// The port in each switch is `peer-<other switch>` when that fits in 15 characters, else `peer<index>`.
    public static func peerLinks(_ topology: Topology) -> [PeerLink] {
        var result: [PeerLink] = []
        for (index, sw) in topology.switches.enumerated() {
            guard let other = sw.peerLink, other != sw.name, topology.switch(named: other) != nil,
                !result.contains(where: { Set([$0.a, $0.b]) == Set([sw.name, other]) })
            else { continue }
            func port(facing name: String) -> String {
                let text = "peer-\(name)"
                return text.utf8.count <= 15 ? text : "peer\(index)"
            }
            result.append(PeerLink(a: sw.name, b: other, portA: port(facing: other), portB: port(facing: sw.name)))
        }
        return result
    }

    /// The nftables netdev table of the frame filter on a switch port (`blackhole` on a LAG
    /// member, `drop_frames`): one per port, so its repair deletes exactly it.
    public static func frameFilterTable(_ port: String) -> String {
        "fo_frames_" + port.map { $0.isLetter || $0.isNumber ? $0 : "_" }
    }

    /// True when `name` is a namespace of some failover run (`fo` + 6 hex + `-`).
    public static func isRunNamespace(_ name: String) -> Bool {
        let chars = Array(name.utf8)
        guard chars.count > 9, name.hasPrefix(prefix), chars[8] == UInt8(ascii: "-") else { return false }
        return chars[2..<8].allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
