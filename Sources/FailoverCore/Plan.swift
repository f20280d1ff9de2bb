public import FailoverModel

/// Renders a playbook as the shell script a person would type to do the same by hand
/// (`failover plan`). It follows the backend contract: namespaces, bridges, cables, bonds with
/// every option, enslavement, addresses, routes, `up`s; then each step; then teardown.
public enum PlanRenderer {
    /// - Parameters:
    ///   - playbook: a loaded (valid) playbook.
    ///   - names: the run's names (`RunNames(runID: "000000")` for a stable plan).
    /// - Returns: a POSIX shell script, `#!/bin/sh` + `set -e`.
    public static func render(_ playbook: Playbook, names: RunNames) -> String {
        var out = PlanText()
        let topology = playbook.topology
        let ports = RunNames.switchPortNames(topology)
        func ns(_ role: String) -> String { names.namespace(role) }
        let slaves: [String: Set<String>] = Dictionary(
            uniqueKeysWithValues: topology.hosts.map { ($0.name, $0.enslavedInterfaces) })

        out.line("#!/bin/sh")
        out.line("# failover plan: \(playbook.name)")
        out.line("# playbook: \(playbook.file)")
        if let seed = playbook.seed { out.line("# seed: \(seed)") }
        out.line("# run id \(names.runID): every namespace is \(ns("<name>"))")
        out.line("set -e")
        out.line("")
        out.line("# --- switches and hosts ---")
        for sw in topology.switches {
            out.line("ip netns add \(ns(sw.name))")
            out.line("ip -n \(ns(sw.name)) link set lo up")
            out.line("ip -n \(ns(sw.name)) link add \(RunNames.bridgeName) type bridge stp_state 0 forward_delay 0")
            out.line("ip -n \(ns(sw.name)) link set \(RunNames.bridgeName) up")
        }
        for host in topology.hosts {
            out.line("ip netns add \(ns(host.name))")
            out.line("ip -n \(ns(host.name)) link set lo up")
        }
        out.line("")
        out.line("# --- cables ---")
        for cable in topology.cables {
            out.line("# \(cable)")
            let hostNS = ns(cable.a.host)
            switch cable.b {
            case .switch(let sw):
                let port = ports[cable.a] ?? cable.a.interface
                let swNS = ns(sw)
                out.line("ip -n \(swNS) link add \(port) type veth peer name \(cable.a.interface) netns \(hostNS)")
                out.line("ip -n \(swNS) link set \(port) master \(RunNames.bridgeName)")
                out.line("ip -n \(swNS) link set \(port) up")
                hostEnd(cable.a)
            case .host(let far):
                out.line(
                    "ip -n \(hostNS) link add \(cable.a.interface) type veth peer name \(far.interface) netns \(ns(far.host))"
                )
                hostEnd(cable.a)
                hostEnd(far)
            }
        }
        func hostEnd(_ end: InterfaceRef) {
            if let mac = topology.host(named: end.host)?.macs[end.interface] {
                out.line("ip -n \(ns(end.host)) link set \(end.interface) address \(mac)")
            }
            if slaves[end.host]?.contains(end.interface) ?? false {
                out.line("#   \(end) stays down: its bond brings it up")
            } else {
                out.line("ip -n \(ns(end.host)) link set \(end.interface) up")
            }
        }
        let bonds = topology.hosts.flatMap { host in host.bonds.map { (host, $0) } }
        if !bonds.isEmpty {
            out.line("")
            out.line("# --- bonds ---")
        }
        for (host, bond) in bonds {
            let hostNS = ns(host.name)
            out.line("# \(host.name)/\(bond.name): \(bond.mode.rawValue) over \(bond.slaves.joined(separator: ", "))")
            let options = bondArguments(bond.options).flatMap { [$0.0, $0.1] }
            out.line(
                (["ip", "-n", hostNS, "link", "add", bond.name, "type", "bond", "mode", bond.mode.rawValue] + options)
                    .joined(separator: " "))
            if let mac = bond.mac { out.line("ip -n \(hostNS) link set \(bond.name) address \(mac)") }
            for slave in bond.slaves {
                out.line("ip -n \(hostNS) link set \(slave) down")
                out.line("ip -n \(hostNS) link set \(slave) master \(bond.name)")
            }
            for slave in bond.slaves {
                if let prio = bond.options.slavePrio[slave] {
                    out.line("ip -n \(hostNS) link set \(slave) type bond_slave prio \(prio)")
                }
            }
            out.line("ip -n \(hostNS) link set \(bond.name) up")
        }
        let addressed = topology.hosts.contains { !$0.addresses.isEmpty || !$0.routes.isEmpty }
        if addressed {
            out.line("")
            out.line("# --- addresses and routes ---")
        }
        for host in topology.hosts {
            for entry in host.addresses {
                for address in entry.addresses {
                    out.line("ip -n \(ns(host.name)) addr add \(address) dev \(entry.interface)")
                }
            }
            for route in host.routes {
                var argv = ["ip"]
                if route.family == .ipv6 { argv.append("-6") }
                argv += ["-n", ns(host.name), "route", "add", route.destination?.description ?? "default"]
                if let via = route.via { argv += ["via", via.description] }
                if let device = route.device { argv += ["dev", device] }
                out.line(argv.joined(separator: " "))
            }
        }
        if !playbook.probes.isEmpty {
            out.line("")
            out.line("# --- probes (run by failover itself; no shell equivalent) ---")
            for probe in playbook.probes {
                let start = probe.autoStart ? "starts with the run" : "started by start_probe"
                out.line(
                    "# probe \(probe.name): UDP \(probe.from) -> \(probe.to) port \(probe.port), \(probe.rate) pps, \(probe.payloadSize) bytes, \(probe.flows) flow(s), \(probe.direction.rawValue), \(start)"
                )
            }
        }
        out.line("")
        out.line("# --- steps ---")
        for (index, step) in playbook.steps.enumerated() {
            let whereText = step.location.map { " (\($0))" } ?? ""
            if case .expect(let expectations) = step.action, expectations.count > 1 {
                out.line("# step \(index + 1)\(whereText): expect (\(expectations.count) assertions)")
            } else {
                out.line("# step \(index + 1)\(whereText): \(step.action)")
            }
            for line in stepLines(step.action, topology: topology, names: names, ports: ports) { out.line(line) }
        }
        out.line("")
        out.line("# --- teardown ---")
        for host in topology.hosts.reversed() { out.line("ip netns del \(ns(host.name))") }
        for sw in topology.switches.reversed() { out.line("ip netns del \(ns(sw.name))") }
        return out.text
    }

    /// Bond options in ip-link spelling and order, only those the playbook sets.
    public static func bondArguments(_ options: BondOptions) -> [(String, String)] {
        var args: [(String, String)] = []
        func add(_ key: String, _ value: (any CustomStringConvertible)?) {
            if let value { args.append((key, value.description)) }
        }
        func flag(_ key: String, _ value: Bool?) {
            if let value { args.append((key, value ? "1" : "0")) }
        }
        add("miimon", options.miimon)
        add("updelay", options.updelay)
        add("downdelay", options.downdelay)
        add("peer_notify_delay", options.peerNotifDelay)
        flag("use_carrier", options.useCarrier)
        add("arp_interval", options.arpInterval)
        if !options.arpIPTargets.isEmpty {
            add("arp_ip_target", options.arpIPTargets.map(\.description).joined(separator: ","))
        }
        if !options.nsIP6Targets.isEmpty {
            add("ns_ip6_target", options.nsIP6Targets.map(\.description).joined(separator: ","))
        }
        add("arp_validate", options.arpValidate?.rawValue)
        add("arp_all_targets", options.arpAllTargets?.rawValue)
        add("arp_missed_max", options.arpMissedMax)
        add("primary", options.primary)
        add("primary_reselect", options.primaryReselect?.rawValue)
        add("fail_over_mac", options.failOverMAC?.rawValue)
        add("xmit_hash_policy", options.xmitHashPolicy?.rawValue)
        add("resend_igmp", options.resendIGMP)
        add("num_grat_arp", options.numPeerNotif)
        flag("all_slaves_active", options.allSlavesActive)
        add("min_links", options.minLinks)
        add("lp_interval", options.lpInterval)
        add("packets_per_slave", options.packetsPerSlave)
        flag("tlb_dynamic_lb", options.tlbDynamicLB)
        add("lacp_rate", options.lacpRate?.rawValue)
        add("lacp_active", options.lacpActive?.rawValue)
        add("ad_select", options.adSelect?.rawValue)
        add("ad_user_port_key", options.adUserPortKey)
        add("ad_actor_sys_prio", options.adActorSysPrio)
        add("ad_actor_system", options.adActorSystem)
        return args
    }

    /// The ip-link spelling of a playbook (sysfs) option name.
    public static func ipLinkOptionName(_ option: String) -> String {
        option == "peer_notif_delay" ? "peer_notify_delay" : option
    }

    static func stepLines(
        _ action: StepAction, topology: Topology, names: RunNames, ports: [InterfaceRef: String]
    ) -> [String] {
        func ns(_ role: String) -> String { names.namespace(role) }
        /// The far end of the cable at `ref`: (namespace, interface).
        func farEnd(_ ref: InterfaceRef) -> (String, String)? {
            guard let cable = topology.cable(at: ref) else { return nil }
            if cable.a == ref {
                switch cable.b {
                case .switch(let sw): return (ns(sw), ports[ref] ?? ref.interface)
                case .host(let far): return (ns(far.host), far.interface)
                }
            }
            return (ns(cable.a.host), cable.a.interface)
        }
        func bridgePort(_ ref: InterfaceRef) -> (String, String)? {
            guard let cable = topology.cable(at: ref), cable.a == ref, case .switch(let sw) = cable.b,
                let port = ports[ref]
            else { return nil }
            return (ns(sw), port)
        }
        switch action {
        case .pull(let ref), .plug(let ref):
            guard let (farNS, farIF) = farEnd(ref) else { return ["# (no cable at \(ref))"] }
            let state = if case .pull = action { "down" } else { "up" }
            return ["ip -n \(farNS) link set \(farIF) \(state)"]
        case .down(let ref):
            return ["ip -n \(ns(ref.host)) link set \(ref.interface) down"]
        case .up(let ref):
            return ["ip -n \(ns(ref.host)) link set \(ref.interface) up"]
        case .switchDown(let sw):
            return ["ip -n \(ns(sw)) link set \(RunNames.bridgeName) down"]
        case .switchUp(let sw):
            return ["ip -n \(ns(sw)) link set \(RunNames.bridgeName) up"]
        case .blackhole(let ref), .restore(let ref):
            guard let (swNS, port) = bridgePort(ref) else {
                return ["# (unsupported: blackhole needs a cable to a switch)"]
            }
            let state = if case .blackhole = action { "0" } else { "3" }
            return ["bridge -n \(swNS) link set dev \(port) state \(state)"]
        case .set(let bond, let option, let value, let expectError):
            let shown = value.isEmpty ? "\"\"" : value
            let command =
                "ip -n \(ns(bond.host)) link set \(bond.interface) type bond \(ipLinkOptionName(option)) \(shown)"
            return expectError.map { ["\(command)  # expected to fail with \($0)"] } ?? [command]
        case .hold(let duration):
            return ["sleep \(secondsText(duration))"]
        case .startProbe(let name):
            return ["# (failover starts probe \(name))"]
        case .stopProbe(let name):
            return ["# (failover stops probe \(name))"]
        case .expect(let expectations):
            var lines: [String] = []
            var looked: Set<String> = []
            for expectation in expectations {
                lines.append("#   expect \(expectation)")
                let look: String
                switch expectation.assertion {
                case .activeSlave(let ref, _), .bondMode(let ref, _):
                    look = "ip netns exec \(ns(ref.host)) cat /proc/net/bonding/\(ref.interface)"
                case .miiStatus(let ref, _), .linkFailures(let ref, _):
                    let bond =
                        topology.host(named: ref.host)?.bonds.first { $0.slaves.contains(ref.interface) }?.name
                        ?? ref.interface
                    look = "ip netns exec \(ns(ref.host)) cat /proc/net/bonding/\(bond)"
                case .carrier(let ref, _), .mac(let ref, _):
                    look = "ip -n \(ns(ref.host)) link show \(ref.interface)"
                case .option(let ref, _, _):
                    look = "ip -d -n \(ns(ref.host)) link show \(ref.interface)"
                case .loss, .outage, .reordered:
                    look = "# (measured by the probe)"
                }
                if looked.insert(look).inserted { lines.append(look) }
            }
            return lines
        }
    }

    /// `sleep` argument: seconds with up to 9 decimals, no trailing zeros.
    static func secondsText(_ duration: Duration) -> String {
        let ns = duration.totalNanoseconds
        let whole = ns / 1_000_000_000
        var fraction = String(ns % 1_000_000_000)
        guard fraction != "0" else { return String(whole) }
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(whole).\(fraction)"
    }
}

private struct PlanText {
    var text = ""
    mutating func line(_ line: String) { text += line + "\n" }
}
