// Benchmark (not a test): build + teardown of a standard topology with NamespaceBackend
// (rtnetlink) versus one `ip` process per command. Needs root. Run: `make bench`
// (swift run -c release backend-bench [runs]).
//
// Topology: server with two cables to two switches (the bond is left out: the host kernel has
// no bonding driver), a client and one more host on sw1, one more host on sw2 — 6 namespaces,
// 2 bridges, 5 veth pairs, 5 addresses.
internal import CNetShims
import FailoverCore
import FailoverLinux
import FailoverModel
import FailoverNetlink
import Logging

#if canImport(Glibc)
    import Glibc
#endif

func topology() -> Topology {
    func host(_ name: String, _ interfaces: [String], _ address: String) -> Host {
        Host(
            name: name, interfaces: interfaces,
            addresses: [
                InterfaceAddresses(interface: interfaces[0], addresses: [InterfaceAddress(address)].compactMap { $0 })
            ])
    }
    func cable(_ host: String, _ interface: String, _ sw: String) -> Cable {
        Cable(a: InterfaceRef(host: host, interface: interface), b: .switch(sw))
    }
    return Topology(
        switches: [Switch(name: "sw1"), Switch(name: "sw2")],
        hosts: [
            host("server", ["eth0", "eth1"], "198.18.0.1/24"), host("client", ["eth0"], "198.18.0.2/24"),
            host("h3", ["eth0"], "198.18.0.3/24"), host("h4", ["eth0"], "198.18.0.4/24"),
        ],
        cables: [
            cable("server", "eth0", "sw1"), cable("server", "eth1", "sw2"), cable("client", "eth0", "sw1"),
            cable("h3", "eth0", "sw1"), cable("h4", "eth0", "sw2"),
        ])
}

/// The same topology as one `ip` command per object (the contract's commands), then `ip netns del`.
func ipCommands(_ topology: Topology, _ names: RunNames) -> (up: [[String]], down: [[String]]) {
    var up: [[String]] = []
    let roles = topology.switches.map(\.name) + topology.hosts.map(\.name)
    for role in roles {
        up.append(["netns", "add", names.namespace(role)])
        up.append(["-n", names.namespace(role), "link", "set", "lo", "up"])
    }
    for sw in topology.switches {
        let ns = names.namespace(sw.name)
        up.append(["-n", ns, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0"])
        up.append(["-n", ns, "link", "set", "br0", "up"])
    }
    let ports = RunNames.switchPortNames(topology)
    for cable in topology.cables {
        guard case .switch(let sw) = cable.b, let port = ports[cable.a] else { continue }
        let swNS = names.namespace(sw)
        let hostNS = names.namespace(cable.a.host)
        up.append(["-n", swNS, "link", "add", port, "type", "veth", "peer", "name", cable.a.interface, "netns", hostNS])
        up.append(["-n", swNS, "link", "set", port, "master", "br0"])
        up.append(["-n", swNS, "link", "set", port, "up"])
        up.append(["-n", hostNS, "link", "set", cable.a.interface, "up"])
    }
    for host in topology.hosts {
        for entry in host.addresses {
            for address in entry.addresses {
                up.append([
                    "-n", names.namespace(host.name), "addr", "add", address.description, "dev", entry.interface,
                ])
            }
        }
    }
    let down = roles.reversed().map { ["netns", "del", names.namespace($0)] }
    return (up, down)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1
        ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func milliseconds(_ start: UInt64) -> Double { Double(MonotonicTime.now() - start) / 1e6 }

@main
struct BackendBenchmark {
    static func main() async throws {
        let runs = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 15
        let logger = Logger(label: "bench")
        let playbook = Playbook(name: "bench", topology: topology(), steps: [], file: "bench")
        var netlinkBuild: [Double] = []
        var netlinkTotal: [Double] = []
        var ipBuild: [Double] = []
        var ipTotal: [Double] = []
        for run in 0..<runs {
            let names = RunNames(runID: String(format6(0xbe0000 + run)))
            let backend = NamespaceBackend(logger: logger)
            let start = MonotonicTime.now()
            try await backend.build(RunPlanCompiler.compile(playbook, names: names), log: ObservationLog())
            netlinkBuild.append(milliseconds(start))
            let problems = await backend.teardown()
            netlinkTotal.append(milliseconds(start))
            guard problems.isEmpty else {
                throw BackendError(operation: "teardown", object: "bench", detail: "\(problems)")
            }

            let ipNames = RunNames(runID: String(format6(0xbf0000 + run)))
            let (up, down) = ipCommands(playbook.topology, ipNames)
            let ipStart = MonotonicTime.now()
            for arguments in up {
                let status = try NetworkNamespace.spawnAndWait(["/usr/sbin/ip"] + arguments)
                guard status == 0 else {
                    throw BackendError(
                        operation: "ip", object: arguments.joined(separator: " "), detail: "exit \(status)")
                }
            }
            ipBuild.append(milliseconds(ipStart))
            for arguments in down { _ = try NetworkNamespace.spawnAndWait(["/usr/sbin/ip"] + arguments) }
            ipTotal.append(milliseconds(ipStart))
        }
        let commands = ipCommands(playbook.topology, RunNames(runID: "000000"))
        func show(_ value: Double) -> String { String(Int((value * 10).rounded())).withDecimal }
        print("topology: 6 namespaces, 2 bridges, 5 veth pairs, 5 addresses; \(runs) runs each (median)")
        print(
            "NamespaceBackend (rtnetlink; build incl. carrier wait + observers): build \(show(median(netlinkBuild))) ms, build+teardown \(show(median(netlinkTotal))) ms"
        )
        print(
            "ip per command (\(commands.up.count) + \(commands.down.count) processes):            build \(show(median(ipBuild))) ms, build+teardown \(show(median(ipTotal))) ms"
        )
        print("speed-up (build+teardown): \(show(median(ipTotal) / median(netlinkTotal)))x")
    }

    static func format6(_ value: Int) -> String {
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 6 - hex.count)) + hex
    }
}

extension String {
    /// "123" (tenths) → "12.3".
    fileprivate var withDecimal: String {
        let padded = count < 2 ? String(repeating: "0", count: 2 - count) + self : self
        return String(padded.dropLast()) + "." + String(padded.last ?? "0")
    }
}
