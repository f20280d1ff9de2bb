public import FailoverModel

/// The references of the playbook's captures, on the model: the switch exists and has a cable
/// to the host interface its port faces; a captured host interface exists (a cable end, a bond,
/// a bond slave or `lo`).
public enum CaptureChecks {
    public static func run(_ captures: [CaptureSpec], _ context: inout CheckContext) {
        let index = context.index
        for (position, capture) in captures.enumerated() {
            let location = index.location(capture.location)
            func mark(_ part: String) -> SourceMark {
                capture.marks[part] ?? SourceMark(location: location, path: "captures[\(position)].\(part)")
            }
            switch capture.target {
            case .port(let sw, let facing):
                let at = mark("port")
                guard index.switch(sw) != nil else {
                    context.error(at, "\(at.path): no switch \(sw); switches: \(TopologyIndex.list(index.switchNames))")
                    continue
                }
                let ports = index.topology.cables.compactMap { cable -> String? in
                    guard case .switch(let name) = cable.b, name == sw else { return nil }
                    return "\(cable.a.host)-\(cable.a.interface)"
                }
                let cable = index.cable(at: facing)
                guard let cable, case .switch(let name) = cable.b, name == sw else {
                    context.error(
                        at,
                        "\(at.path): switch \(sw) has no port \(facing.host)-\(facing.interface); ports: "
                            + TopologyIndex.list(ports))
                    continue
                }
            case .interface(let ref):
                let at = mark("interface")
                guard index.host(ref.host) != nil else {
                    context.error(at, "\(at.path): no host \(ref.host); hosts: \(TopologyIndex.list(index.hostNames))")
                    continue
                }
                let names = index.interfaceNames(of: ref.host)
                let slaves = index.host(ref.host)?.bonds.flatMap(\.slaves) ?? []
                guard names.contains(ref.interface) || slaves.contains(ref.interface) || ref.interface == "lo" else {
                    context.error(
                        at,
                        "\(at.path): host \(ref.host) has no interface \(ref.interface); interfaces: "
                            + TopologyIndex.list(names))
                    continue
                }
            }
        }
    }
}
