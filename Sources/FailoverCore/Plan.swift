public import FailoverModel

/// Renders a playbook as the shell script a person would type to do the same by hand
/// (`failover plan`). It follows the backend contract: namespaces, bridges, cables, bonds with
/// every option, enslavement, addresses, routes, `up`s; then each step; then teardown.
///
/// The script is meant to be pasted into a shell, so nothing from the playbook reaches it raw:
/// every command word is quoted for the POSIX shell where it needs it (`shellWord`), and free
/// text (name, seed, file, step descriptions) appears only in `#` comments with newlines and
/// other control characters escaped (`comment`), so it can never start a line of its own.
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
        out.comment("failover plan: \(playbook.name)")
        out.comment("playbook: \(playbook.file)")
        if let seed = playbook.seed { out.comment("seed: \(seed)") }
        out.comment("run id \(names.runID): every namespace is \(ns("<name>"))")
        out.line("set -e")
        out.line("")
        out.comment("--- switches and hosts ---")
        for sw in topology.switches {
            out.command(["ip", "netns", "add", ns(sw.name)])
            out.command(["ip", "-n", ns(sw.name), "link", "set", "lo", "up"])
            out.command(
                ["ip", "-n", ns(sw.name), "link", "add", RunNames.bridgeName, "type", "bridge"]
                    + ["stp_state", "0", "forward_delay", "0"])
            out.command(["ip", "-n", ns(sw.name), "link", "set", RunNames.bridgeName, "up"])
        }
        for host in topology.hosts {
            out.command(["ip", "netns", "add", ns(host.name)])
            out.command(["ip", "-n", ns(host.name), "link", "set", "lo", "up"])
        }
        out.line("")
        out.comment("--- cables ---")
        for cable in topology.cables {
            out.comment("\(cable)")
            let hostNS = ns(cable.a.host)
            switch cable.b {
            case .switch(let sw):
                let port = ports[cable.a] ?? cable.a.interface
                let swNS = ns(sw)
                out.command(
                    ["ip", "-n", swNS, "link", "add", port, "type", "veth", "peer", "name", cable.a.interface]
                        + ["netns", hostNS])
                out.command(["ip", "-n", swNS, "link", "set", port, "master", RunNames.bridgeName])
                out.command(["ip", "-n", swNS, "link", "set", port, "up"])
                hostEnd(cable.a)
            case .host(let far):
                out.command(
                    [
                        "ip", "-n", hostNS, "link", "add", cable.a.interface, "type", "veth", "peer", "name",
                        far.interface,
                    ]
                        + ["netns", ns(far.host)])
                hostEnd(cable.a)
                hostEnd(far)
            }
        }
        func hostEnd(_ end: InterfaceRef) {
            if let mac = topology.host(named: end.host)?.macs[end.interface] {
                out.command(["ip", "-n", ns(end.host), "link", "set", end.interface, "address", mac.description])
            }
            if slaves[end.host]?.contains(end.interface) ?? false {
                out.comment("  \(end) stays down: its bond brings it up")
            } else {
                out.command(["ip", "-n", ns(end.host), "link", "set", end.interface, "up"])
            }
        }
        let bonds = topology.hosts.flatMap { host in host.bonds.map { (host, $0) } }
        if !bonds.isEmpty {
            out.line("")
            out.comment("--- bonds ---")
        }
        for (host, bond) in bonds {
            let hostNS = ns(host.name)
            out.comment("\(host.name)/\(bond.name): \(bond.mode.rawValue) over \(bond.slaves.joined(separator: ", "))")
            let options = bondArguments(bond.options).flatMap { [$0.0, $0.1] }
            out.command(
                ["ip", "-n", hostNS, "link", "add", bond.name, "type", "bond", "mode", bond.mode.rawValue] + options)
            if let mac = bond.mac {
                out.command(["ip", "-n", hostNS, "link", "set", bond.name, "address", mac.description])
            }
            for slave in bond.slaves {
                out.command(["ip", "-n", hostNS, "link", "set", slave, "down"])
                out.command(["ip", "-n", hostNS, "link", "set", slave, "master", bond.name])
            }
            for slave in bond.slaves {
                if let prio = bond.options.slavePrio[slave] {
                    out.command(["ip", "-n", hostNS, "link", "set", slave, "type", "bond_slave", "prio", "\(prio)"])
                }
            }
            out.command(["ip", "-n", hostNS, "link", "set", bond.name, "up"])
        }
        let addressed = topology.hosts.contains { !$0.addresses.isEmpty || !$0.routes.isEmpty }
        if addressed {
            out.line("")
            out.comment("--- addresses and routes ---")
        }
        for host in topology.hosts {
            for entry in host.addresses {
                for address in entry.addresses {
                    out.command(["ip", "-n", ns(host.name), "addr", "add", address.description, "dev", entry.interface])
                }
            }
            for route in host.routes {
                var argv = ["ip"]
                if route.family == .ipv6 { argv.append("-6") }
                argv += ["-n", ns(host.name), "route", "add", route.destination?.description ?? "default"]
                if let via = route.via { argv += ["via", via.description] }
                if let device = route.device { argv += ["dev", device] }
                out.command(argv)
            }
        }
        if !playbook.probes.isEmpty {
            out.line("")
            out.comment("--- probes (run by failover itself; no shell equivalent) ---")
            for probe in playbook.probes {
                let start = probe.autoStart ? "starts with the run" : "started by start_probe"
                out.comment(
                    "probe \(probe.name): UDP \(probe.from) -> \(probe.to) port \(probe.port), \(probe.rate) pps, \(probe.payloadSize) bytes, \(probe.flows) flow(s), \(probe.direction.rawValue), \(start)"
                )
            }
        }
        out.line("")
        out.comment("--- steps ---")
        for (index, step) in playbook.steps.enumerated() {
            let whereText = step.location.map { " (\($0))" } ?? ""
            if case .expect(let expectations) = step.action, expectations.count > 1 {
                out.comment("step \(index + 1)\(whereText): expect (\(expectations.count) assertions)")
            } else {
                out.comment("step \(index + 1)\(whereText): \(step.action)")
            }
            for line in stepLines(step.action, topology: topology, names: names, ports: ports) { out.line(line) }
        }
        out.line("")
        out.comment("--- teardown ---")
        for host in topology.hosts.reversed() { out.command(["ip", "netns", "del", ns(host.name)]) }
        for sw in topology.switches.reversed() { out.command(["ip", "netns", "del", ns(sw.name)]) }
        return out.text
    }

    // MARK: Shell text

    /// One command line: every word quoted for the POSIX shell where it needs it. A word with a
    /// control character (a newline, NUL, ESC, …) cannot be written on one line of a POSIX script;
    /// such a command is shown as a comment instead (the loader never lets one through).
    public static func command(_ words: [String]) -> String {
        let unwritable = words.contains { word in
            word.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
        }
        if unwritable {
            return comment("(not shown: a word holds a control character) " + words.joined(separator: " "))
        }
        return words.map(shellWord).joined(separator: " ")
    }

    /// One comment line: `# ` and `text` with newlines and every other control character escaped
    /// (`\n`, `\u{1B}`, …; a backslash as `\\`), so free text never ends the comment.
    public static func comment(_ text: String) -> String {
        "# " + text.escapingControlCharacters(backslashes: true)
    }

    /// `word` as one shell word: as is when it is only characters no POSIX shell treats
    /// specially (letters, digits and `_ - . / : , = + @ %`, not starting with `=`), else in
    /// single quotes, a `'` inside written as `'\''`. The empty word is `''`.
    public static func shellWord(_ word: String) -> String {
        let plain = word.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || "_-./:,=+@%".utf8.contains(byte)
        }
        if plain && !word.isEmpty && !word.hasPrefix("=") { return word }
        var quoted = "'"
        for scalar in word.unicodeScalars {
            if scalar == "'" { quoted += "'\\''" } else { quoted.unicodeScalars.append(scalar) }
        }
        return quoted + "'"
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
            guard let (farNS, farIF) = farEnd(ref) else { return [comment("(no cable at \(ref))")] }
            let state = if case .pull = action { "down" } else { "up" }
            return [command(["ip", "-n", farNS, "link", "set", farIF, state])]
        case .down(let ref):
            return [command(["ip", "-n", ns(ref.host), "link", "set", ref.interface, "down"])]
        case .up(let ref):
            return [command(["ip", "-n", ns(ref.host), "link", "set", ref.interface, "up"])]
        case .switchDown(let sw):
            return [command(["ip", "-n", ns(sw), "link", "set", RunNames.bridgeName, "down"])]
        case .switchUp(let sw):
            return [command(["ip", "-n", ns(sw), "link", "set", RunNames.bridgeName, "up"])]
        case .blackhole(let ref), .restore(let ref):
            guard let (swNS, port) = bridgePort(ref) else {
                return [comment("(unsupported: blackhole needs a cable to a switch)")]
            }
            let state = if case .blackhole = action { "0" } else { "3" }
            return [command(["bridge", "-n", swNS, "link", "set", "dev", port, "state", state])]
        case .set(let bond, let option, let value, let expectError):
            let line = command(
                ["ip", "-n", ns(bond.host), "link", "set", bond.interface, "type", "bond"]
                    + [ipLinkOptionName(option), value])
            return expectError.map { [line + "  " + comment("expected to fail with \($0)")] } ?? [line]
        case .hold(let duration):
            return [command(["sleep", secondsText(duration)])]
        case .startProbe(let name):
            return [comment("(failover starts probe \(name))")]
        case .stopProbe(let name):
            return [comment("(failover stops probe \(name))")]
        case .expect(let expectations):
            var lines: [String] = []
            var looked: Set<String> = []
            for expectation in expectations {
                lines.append(comment("  expect \(expectation)"))
                let look = AssertionFamilies.family(of: expectation.assertion).planLook(
                    expectation.assertion, plan: PlanContext(topology: topology, names: names))
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
    /// A fixed line of the script (no playbook text in it).
    mutating func line(_ line: String) { text += line + "\n" }
    mutating func command(_ words: [String]) { line(PlanRenderer.command(words)) }
    mutating func comment(_ text: String) { line(PlanRenderer.comment(text)) }
}
