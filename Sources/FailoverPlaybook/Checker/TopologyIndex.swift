public import FailoverModel

/// Lookups over a playbook's model (no YAML): hosts, switches, cables, bonds, slaves and probes,
/// each returned with its location and marks. Shared by the checker's topology checks and by
/// the step families' checks; any front end (YAML, an importer) produces the model it reads.
public struct TopologyIndex: Sendable {
    public let topology: Topology
    public let probes: [ProbeSpec]
    /// The playbook's `captures:` (the capture assertions name them).
    public var captures: [CaptureSpec] = []
    /// The file diagnostics fall back to when an object carries no location.
    public let file: String

    public init(_ topology: Topology, probes: [ProbeSpec] = [], file: String) {
        self.topology = topology
        self.probes = probes
        self.file = file
    }

    public init(_ playbook: Playbook) {
        self.init(playbook.topology, probes: playbook.probes, file: playbook.file)
        captures = playbook.captures
    }

    // MARK: Names

    public var hostNames: [String] { topology.hosts.map(\.name) }
    public var switchNames: [String] { topology.switches.map(\.name) }
    public var probeNames: [String] { probes.map(\.name) }

    // MARK: Objects

    public func host(_ name: String) -> Host? { topology.hosts.first { $0.name == name } }
    public func `switch`(_ name: String) -> Switch? { topology.switches.first { $0.name == name } }
    public func probe(_ name: String) -> ProbeSpec? { probes.first { $0.name == name } }

    /// The cable one of whose host ends is `ref`.
    public func cable(at ref: InterfaceRef) -> Cable? { topology.cable(at: ref) }

    /// The bond `host/name`.
    public func bond(at ref: InterfaceRef) -> Bond? { topology.bond(at: ref) }

    /// The bond `ref` is a slave of.
    public func bondOfSlave(_ ref: InterfaceRef) -> Bond? {
        host(ref.host)?.bonds.first { $0.slaves.contains(ref.interface) }
    }

    /// Cable ends of `host`, in declaration order.
    public func cableEnds(of host: String) -> [String] { self.host(host)?.interfaces ?? [] }

    /// Cable ends then bonds of `host` (not `lo`).
    public func interfaceNames(of host: String) -> [String] {
        guard let host = self.host(host) else { return [] }
        return host.interfaces + host.bonds.map(\.name)
    }

    /// Every address of `host` (written and default).
    public func addresses(of host: String) -> [InterfaceAddress] {
        self.host(host)?.addresses.flatMap(\.addresses) ?? []
    }

    // MARK: Locations

    /// `location`, or the file's first line when the object has none (a model built in code).
    public func location(_ location: SourceLocation?) -> SourceLocation {
        location ?? SourceLocation(file: file, line: 1, column: 1)
    }

    /// `names` joined for a message, `none` when empty.
    public static func list(_ names: [String]) -> String {
        names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}
