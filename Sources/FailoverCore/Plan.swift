public import FailoverModel

/// Renders a playbook's `RunPlan` as the shell script a person would type to do the same by
/// hand (`failover plan`): each build operation as its `ip`/`bridge` command (the operations the
/// backend executes, in the same order), then each step (fault steps as their operations), then
/// teardown. Checks the harness makes itself (option read-back, waiting for carrier) have no line.
///
/// The script is meant to be pasted into a shell, so nothing from the playbook reaches it raw:
/// every command word is quoted for the POSIX shell where it needs it (`shellWord`), and free
/// text (name, seed, file, step descriptions) appears only in `#` comments with newlines and
/// other control characters escaped (`comment`), so it can never start a line of its own.
public enum PlanRenderer {
    /// - Parameters:
    ///   - playbook: a loaded (valid) playbook.
    ///   - names: the run's names (`RunNames(runID: "000000")` for a stable plan).
    ///   - families: the evaluators of the assertion families (their plan text).
    /// - Returns: a POSIX shell script, `#!/bin/sh` + `set -e`.
    public static func render(_ playbook: Playbook, names: RunNames, families: AssertionFamilies) -> String {
        render(RunPlanCompiler.compile(playbook, names: names), playbook: playbook, names: names, families: families)
    }

    /// Renders `plan` (compiled from `playbook` with `names`): its operations as commands, the
    /// playbook's name, probes and assertions as comments and reading commands.
    public static func render(_ plan: RunPlan, playbook: Playbook, names: RunNames, families: AssertionFamilies)
        -> String
    {
        var out = PlanText()
        let topology = playbook.topology
        func ns(_ role: String) -> String { names.namespace(role) }

        out.line("#!/bin/sh")
        out.comment("failover plan: \(playbook.name)")
        out.comment("playbook: \(playbook.file)")
        if let seed = playbook.seed { out.comment("seed: \(seed)") }
        out.comment("run id \(names.runID): every namespace is \(ns("<name>"))")
        out.line("set -e")
        for entry in plan.build {
            switch entry {
            case .section(let title):
                out.line("")
                out.comment("--- \(title) ---")
            case .note(let text):
                out.comment(text)
            case .operation(let planned):
                for line in lines(planned.operation) { out.line(line) }
            }
        }
        if !playbook.probes.isEmpty {
            out.line("")
            out.comment("--- probes (run by failover itself; no shell equivalent) ---")
            for probe in playbook.probes {
                let start = probe.autoStart ? "starts with the run" : "started by start_probe"
                let target = probe.toGroup.map { group in
                    let vip = playbook.topology.carp.first { $0.name == group }?.vip.addressText ?? "?"
                    return "VIP \(vip) of carp group \(group) (received in every member)"
                }
                out.comment(
                    "probe \(probe.name): UDP \(probe.from) -> \(target ?? probe.to) port \(probe.port), \(probe.rate) pps, \(probe.payloadSize) bytes, \(probe.flows) flow(s), \(probe.direction.rawValue), \(start)"
                )
            }
        }
        out.line("")
        out.comment("--- steps ---")
        for step in plan.steps {
            let whereText = step.location.map { " (\($0))" } ?? ""
            if case .expect(let expectations) = step.action, expectations.count > 1 {
                out.comment("step \(step.index + 1)\(whereText): expect (\(expectations.count) assertions)")
            } else {
                out.comment("step \(step.index + 1)\(whereText): \(step.action)")
            }
            for line in stepLines(step, topology: topology, names: names, families: families) { out.line(line) }
        }
        out.line("")
        out.comment("--- teardown ---")
        let peers = plan.buildOperations.compactMap { planned -> CarpPeer? in
            if case .startPeer(let peer) = planned.operation { return peer }
            return nil
        }
        for peer in peers.reversed() {
            out.comment("stop \(peer.name): SIGTERM (--shutdown runs the down script), SIGKILL after 3 s")
        }
        for namespace in plan.namespaces.reversed() { out.command(["ip", "netns", "del", namespace]) }
        return out.text
    }

    /// The script lines of one operation: its commands; nothing for a check the harness makes
    /// itself (option read-back, waiting for carrier); a comment for an unsupported one.
    public static func lines(_ operation: RunOperation) -> [String] {
        if case .unsupported(let reason) = operation { return [comment("(unsupported: \(reason))")] }
        return operation.commands.map(command)
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

    /// The script lines of one step: the commands of its operations (fault steps), else what
    /// the harness does (waits, probes) and what it reads for each assertion.
    static func stepLines(_ step: PlannedStep, topology: Topology, names: RunNames, families: AssertionFamilies)
        -> [String]
    {
        func ns(_ role: String) -> String { names.namespace(role) }
        if !step.operations.isEmpty {
            var lines = step.operations.flatMap { Self.lines($0.operation) }
            if case .set(_, _, _, let expectError?) = step.action, let last = lines.popLast() {
                lines.append(last + "  " + comment("expected to fail with \(expectError)"))
            }
            return lines
        }
        switch step.action {
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
                let look = families.family(of: expectation.assertion).planLook(
                    expectation.assertion, plan: PlanContext(topology: topology, names: names))
                if looked.insert(look).inserted { lines.append(look) }
            }
            return lines
        default:
            // A fault step without operations (the compiler found nothing to do).
            return [comment("(unsupported: no operation for \(step.action))")]
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
