import FailoverModel
import Yams

extension PlaybookDecoder {
    static let stepKeys = [
        "pull", "plug", "down", "up", "switch_down", "switch_up", "blackhole", "restore", "set", "hold", "start_probe",
        "stop_probe", "expect",
    ]
    static let assertionKeys = [
        "active_slave", "bond_mode", "mii_status", "link_failures", "carrier", "mac", "loss", "no_loss", "outage",
        "reordered", "option",
    ]
    static let probeKeys = [
        "name", "from", "to", "from_address", "to_address", "rate", "size", "direction", "flows", "port", "start",
    ]

    // MARK: Lookups

    func cable(at ref: InterfaceRef) -> Cable? { cables.first { $0.a == ref || $0.b.hostEnd == ref } }

    func bond(at ref: InterfaceRef) -> BondDecl? { hosts[ref.host]?.bonds.first { $0.name == ref.interface } }

    func bondOfSlave(_ ref: InterfaceRef) -> BondDecl? {
        hosts[ref.host]?.bonds.first { $0.slaves.contains { $0.0 == ref.interface } }
    }

    /// The host exists; reports and returns nil otherwise.
    func knownHost(_ ref: InterfaceRef, _ node: Node, _ path: String) -> HostDecl? {
        guard let host = hosts[ref.host] else {
            let hint = switches.contains { $0.name == ref.host } ? " (\(ref.host) is a switch)" : ""
            reader.error(node, "\(path): no host \(ref.host)\(hint); hosts: \(Self.list(hostOrder))")
            return nil
        }
        return host
    }

    func checkCableEnd(_ ref: InterfaceRef, _ node: Node, _ path: String) -> Bool {
        guard let host = knownHost(ref, node, path) else { return false }
        guard cable(at: ref) != nil else {
            reader.error(node, "\(path): no cable \(ref); cables of \(ref.host): \(Self.list(host.interfaceNames))")
            return false
        }
        return true
    }

    /// A cable end or a bond of the host (or `lo` when allowed).
    func checkInterface(_ ref: InterfaceRef, _ node: Node, _ path: String, allowLoopback: Bool = true) -> Bool {
        guard let host = knownHost(ref, node, path) else { return false }
        let names = host.interfaceNames + host.bonds.map(\.name)
        guard names.contains(ref.interface) || (allowLoopback && ref.interface == "lo") else {
            reader.error(node, "\(path): no interface \(ref); interfaces of \(ref.host): \(Self.list(names))")
            return false
        }
        return true
    }

    func checkBond(_ ref: InterfaceRef, _ node: Node, _ path: String) -> BondDecl? {
        guard let host = knownHost(ref, node, path) else { return nil }
        guard let bond = bond(at: ref) else {
            reader.error(node, "\(path): no bond \(ref); bonds of \(ref.host): \(Self.list(host.bonds.map(\.name)))")
            return nil
        }
        return bond
    }

    func checkSlave(_ ref: InterfaceRef, _ node: Node, _ path: String, orBond: Bool) -> Bool {
        guard checkInterface(ref, node, path, allowLoopback: false) else { return false }
        if bondOfSlave(ref) != nil || (orBond && bond(at: ref) != nil) { return true }
        reader.error(node, "\(path): \(ref) is not a bond slave\(orBond ? " or a bond" : "")")
        return false
    }

    func checkSwitch(_ name: String, _ node: Node, _ path: String) -> Bool {
        guard switches.contains(where: { $0.name == name }) else {
            reader.error(node, "\(path): no switch \(name); switches: \(Self.list(switches.map(\.name)))")
            return false
        }
        return true
    }

    func checkProbe(_ name: String, _ node: Node, _ path: String) -> ProbeSpec? {
        guard let probe = probes.first(where: { $0.name == name }) else {
            reader.error(node, "\(path): no probe \(name); probes: \(Self.list(probes.map(\.name)))")
            return nil
        }
        return probe
    }

    // MARK: Probes

    func decodeProbes(_ node: Node) {
        guard let items = reader.list(node, "probes", allowSingle: false) else { return }
        for (index, item) in items.enumerated() {
            let path = "probes[\(index)]"
            guard let view = reader.mapping(item, path) else { continue }
            reader.checkKeys(view, allowed: Self.probeKeys, context: "probe")
            var ok = true
            func required(_ key: String) -> Node? {
                if let node = view[key] { return node }
                reader.error(item, "\(path): a probe needs '\(key)'")
                ok = false
                return nil
            }
            let nameNode = required("name")
            let parsedName = nameNode.flatMap { reader.string($0, "\(path).name") }
            let name = parsedName ?? ""
            // A probe name goes into capture file names: the host name rule, no '/' or '..'.
            if let nameNode, let parsedName,
                !checkNodeName(parsedName, nameNode, "\(path).name", what: "probe", limit: 32)
            {
                ok = false
            }
            if !name.isEmpty, probes.contains(where: { $0.name == name }) {
                reader.error(view["name"], "\(path).name: probe \(name) is declared twice")
                ok = false
            }
            var from = ""
            var to = ""
            for key in ["from", "to"] {
                guard let node = required(key),
                    let host = reader.string(node, "\(path).\(key)", expected: "a host name")
                else {
                    ok = false
                    continue
                }
                guard let declaration = hosts[host] else {
                    reader.error(node, "\(path).\(key): no host \(host); hosts: \(Self.list(hostOrder))")
                    ok = false
                    continue
                }
                if declaration.host.addresses.allSatisfy({ $0.interface == "lo" }) {
                    reader.error(node, "\(path).\(key): host \(host) has no address to send from or to")
                    ok = false
                }
                if key == "from" { from = host } else { to = host }
            }
            if !from.isEmpty && from == to {
                reader.error(view["to"], "\(path).to: a probe needs two different hosts")
                ok = false
            }
            var spec = ProbeSpec(name: name, from: from, to: to, location: location(item))
            for key in ["from_address", "to_address"] {
                guard let node = view[key], let address = reader.ipAddress(node, "\(path).\(key)") else { continue }
                let host = key == "from_address" ? from : to
                let owned =
                    hosts[host]?.host.addresses.flatMap(\.addresses).contains { $0.bytes == address.bytes } ?? false
                if !host.isEmpty && !owned {
                    reader.error(node, "\(path).\(key): \(address) is not an address of \(host)")
                    ok = false
                }
                if key == "from_address" { spec.fromAddress = address } else { spec.toAddress = address }
            }
            if let node = view["rate"] {
                if let rate = decodeRate(node, "\(path).rate") { spec.rate = rate } else { ok = false }
            }
            if let node = view["size"] {
                if let size = reader.int(node, "\(path).size", range: 32...65507) {
                    spec.payloadSize = size
                } else {
                    ok = false
                }
            }
            if let node = view["direction"], let text = reader.string(node, "\(path).direction") {
                if let direction = ProbeSpec.Direction(rawValue: text) {
                    spec.direction = direction
                } else {
                    reader.error(
                        node, "\(path).direction: unknown direction '\(text)'; expected forward, reverse or both")
                    ok = false
                }
            }
            if let node = view["flows"] {
                if let flows = reader.int(node, "\(path).flows", range: 1...1024) {
                    spec.flows = flows
                } else {
                    ok = false
                }
            }
            if let node = view["port"] {
                if let port = reader.int(node, "\(path).port", range: 1...65535) {
                    spec.port = port
                } else {
                    ok = false
                }
            }
            if let node = view["start"], let text = reader.string(node, "\(path).start") {
                switch text {
                case "auto": spec.autoStart = true
                case "manual": spec.autoStart = false
                default:
                    reader.error(node, "\(path).start: expected auto or manual, found '\(text)'")
                    ok = false
                }
            }
            if !name.isEmpty && (ok || !probes.contains { $0.name == name }) { probes.append(spec) }
        }
    }

    /// `10000`, `10kpps`, `1.5kpps`, `2Mpps`, `500pps`: packets per second, 1…1,000,000.
    func decodeRate(_ node: Node, _ path: String) -> Int? {
        guard let text = reader.string(node, path, expected: "a rate like 10kpps") else { return nil }
        var number = text
        var scale = 1.0
        for (suffix, factor) in [("kpps", 1e3), ("Mpps", 1e6), ("pps", 1.0)] where text.hasSuffix(suffix) {
            number = String(text.dropLast(suffix.count))
            scale = factor
            break
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            let value = Double(number)
        else {
            reader.error(node, "\(path): expected a rate like 10000, \"10kpps\" or \"1.5kpps\", found '\(text)'")
            return nil
        }
        let rate = (value * scale).rounded()
        guard rate >= 1, rate <= 1_000_000, rate == value * scale else {
            reader.error(node, "\(path): rate \(text) must be a whole number of packets per second, 1...1000000")
            return nil
        }
        return Int(rate)
    }

    // MARK: Steps

    func decodeSteps(_ node: Node) -> [Step] {
        guard let items = reader.list(node, "steps", allowSingle: false) else { return [] }
        var steps: [Step] = []
        for (index, item) in items.enumerated() {
            let path = "steps[\(index)]"
            guard let view = reader.mapping(item, path, expected: "a step like {pull: host/if}") else { continue }
            guard let first = view.entries.first else {
                reader.error(item, "\(path): empty step")
                continue
            }
            if view.entries.count > 1 {
                let keys = view.entries.map { "'\($0.key)'" }.joined(separator: ", ")
                reader.error(view.entries[1].keyNode, "\(path): a step has exactly one action; found \(keys)")
                continue
            }
            guard Self.stepKeys.contains(first.key) else {
                reader.error(
                    first.keyNode,
                    NodeReader.unknownKeyMessage(
                        first.key, allowed: Self.stepKeys, context: "step \(index + 1) (\(path))"))
                continue
            }
            let here = location(first.keyNode)
            let actionPath = "\(path).\(first.key)"
            for action in decodeAction(
                first.key, first.value, actionPath, faultSoFar: steps.contains { $0.action.isFault })
            {
                steps.append(Step(action, location: here))
            }
        }
        if items.isEmpty { reader.warning(node, "steps: the playbook has no steps; it only builds and tears down") }
        return steps
    }

    func decodeAction(_ key: String, _ value: Node, _ path: String, faultSoFar: Bool) -> [StepAction] {
        switch key {
        case "pull", "plug":
            guard let ref = reader.ref(value, path), checkCableEnd(ref, value, path) else { return [] }
            return [key == "pull" ? .pull(ref) : .plug(ref)]
        case "down", "up":
            guard let ref = reader.ref(value, path), checkInterface(ref, value, path) else { return [] }
            return [key == "down" ? .down(ref) : .up(ref)]
        case "switch_down", "switch_up":
            guard let name = reader.string(value, path, expected: "a switch name"), checkSwitch(name, value, path)
            else {
                return []
            }
            return [key == "switch_down" ? .switchDown(name) : .switchUp(name)]
        case "blackhole", "restore":
            guard let ref = reader.ref(value, path), checkCableEnd(ref, value, path), let cable = cable(at: ref) else {
                return []
            }
            guard case .switch = cable.b else {
                reader.error(
                    value, "\(path): blackhole needs a cable to a switch (v1); \(cable) is a host-to-host cable")
                return []
            }
            return [key == "blackhole" ? .blackhole(ref) : .restore(ref)]
        case "hold":
            guard let duration = reader.duration(value, path) else { return [] }
            return [.hold(duration)]
        case "start_probe", "stop_probe":
            guard let name = reader.string(value, path, expected: "a probe name"),
                let probe = checkProbe(name, value, path)
            else { return [] }
            if key == "start_probe" && probe.autoStart {
                reader.warning(value, "\(path): probe \(name) already starts with the run (set start: manual on it)")
            }
            return [key == "start_probe" ? .startProbe(name) : .stopProbe(name)]
        case "set":
            return decodeSet(value, path)
        case "expect":
            let expectations = decodeExpect(value, path, faultSoFar: faultSoFar)
            return expectations.isEmpty ? [] : [.expect(expectations)]
        default:
            return []
        }
    }

    func decodeSet(_ value: Node, _ path: String) -> [StepAction] {
        guard let view = reader.mapping(value, path, expected: "a mapping like {bond: host/bond0, primary: eth1}")
        else {
            return []
        }
        // `expect_error: EPERM`: the kernel must refuse the change with that errno.
        var expectError: String?
        var expectErrorValid = true
        if let node = view["expect_error"] {
            expectErrorValid = false
            if let name = reader.string(node, "\(path).expect_error", expected: "an errno name like EPERM") {
                if KernelErrno.number(of: name) != nil {
                    expectError = name
                    expectErrorValid = true
                } else {
                    let hint = NodeReader.closest(to: name, in: KernelErrno.allNames.map { $0.lowercased() }).map {
                        "did you mean \($0.uppercased())? "
                    }
                    reader.error(
                        node,
                        "\(path).expect_error: unknown errno name '\(name)'; \(hint ?? "")expected a Linux errno name such as "
                            + "EPERM, EINVAL, EBUSY, EACCES, ENOTEMPTY, ENODEV, EOPNOTSUPP")
                }
            }
        }
        let expectsError = view.has("expect_error")
        // mode and fail_over_mac need a bond without slaves (bond_options.c: BOND_OPTFLAG_NOSLAVES
        // → ENOTEMPTY); a set step may only try them to check that refusal.
        let refusedWithSlaves = ["mode", "fail_over_mac"]
        if !expectsError {
            for entry in view.entries where refusedWithSlaves.contains(entry.key) {
                reader.error(
                    entry.keyNode,
                    "\(path).\(entry.key): \(entry.key) cannot be changed while the bond has slaves (the kernel answers "
                        + "ENOTEMPTY); to check that refusal, add expect_error: ENOTEMPTY")
            }
        }
        let allowed = ["bond", "expect_error", "mode"] + BondOptionKeys.settable
        for entry in view.entries where !allowed.contains(entry.key) {
            reader.error(entry.keyNode, NodeReader.unknownKeyMessage(entry.key, allowed: allowed, context: "set step"))
        }
        let optionEntries = view.entries.filter { $0.key != "bond" && $0.key != "expect_error" }
        if expectsError && optionEntries.count > 1 {
            reader.error(
                optionEntries[1].keyNode,
                "\(path): a set step with expect_error changes exactly one option; found "
                    + optionEntries.map { "'\($0.key)'" }.joined(separator: ", ") + " (use one step per option)")
            return []
        }
        guard let bondNode = view["bond"] else {
            reader.error(value, "\(path): set needs 'bond' (host/bond)")
            return []
        }
        guard let ref = reader.ref(bondNode, "\(path).bond"), let bond = checkBond(ref, bondNode, "\(path).bond") else {
            return []
        }
        let slaves = bond.slaves.map(\.0)
        var actions: [StepAction] = []
        var scratch = BondOptions()
        for entry in optionEntries where allowed.contains(entry.key) {
            if refusedWithSlaves.contains(entry.key) && !expectsError { continue }
            let optionPath = "\(path).\(entry.key)"
            if entry.key == "active_slave" || entry.key == "primary" {
                guard let name = reader.string(entry.value, optionPath, expected: "a slave name or none") else {
                    continue
                }
                let none = name == "none" || name.isEmpty
                if !none && !slaves.contains(name) {
                    reader.error(
                        entry.value, "\(optionPath): \(name) is not a slave of \(ref); slaves: \(Self.list(slaves))")
                    continue
                }
                if entry.key == "active_slave" && !bond.mode.hasActiveSlave && !expectsError {
                    reader.warning(entry.keyNode, "\(optionPath): mode \(bond.mode.rawValue) has no active slave")
                }
                actions.append(
                    .set(bond: ref, option: entry.key, value: none ? "" : name, expectError: expectError))
                continue
            }
            let text: String?
            if entry.key == "mode" {
                text = reader.named(entry.value, optionPath, BondMode.self)?.rawValue
            } else {
                text = applyOption(entry.key, entry.value, optionPath, to: &scratch)
            }
            guard let text else { continue }
            actions.append(.set(bond: ref, option: entry.key, value: text, expectError: expectError))
        }
        if optionEntries.isEmpty {
            reader.error(value, "\(path): set needs at least one option besides 'bond'")
        }
        return expectErrorValid ? actions : []
    }

    /// `option: {bond: host/bond0, name: updelay, is: 200}`: the option's current value in the
    /// spelling `set` uses (what `applyOption` returns), so the two compare as text.
    func decodeOptionAssertion(_ view: MappingView, _ value: Node, _ path: String, bond ref: InterfaceRef) -> Assertion?
    {
        guard let bond = checkBond(ref, view["bond"] ?? value, "\(path).bond") else { return nil }
        let allowed = ["bond", "name", "is", "within"]
        guard let nameNode = view["name"] else {
            if !reader.misspelled("name", in: view, allowed: allowed) {
                reader.error(value, "\(path): option needs 'name' (a bond option such as updelay)")
            }
            return nil
        }
        guard let isNode = view["is"] else {
            if !reader.misspelled("is", in: view, allowed: allowed) {
                reader.error(value, "\(path): option needs 'is' (the value the kernel should report)")
            }
            return nil
        }
        guard let name = reader.string(nameNode, "\(path).name", expected: "a bond option name") else { return nil }
        let names = BondOptionKeys.settable + ["mode"]
        guard names.contains(name) else {
            let hint = NodeReader.closest(to: name, in: names).map { "did you mean '\($0)'?" }
            reader.error(
                nameNode, "\(path).name: unknown bond option '\(name)'; \(hint ?? "options: \(Self.list(names))")")
            return nil
        }
        let canonical = name == "num_unsol_na" || name == "num_grat_arp" ? "num_grat_arp" : name
        switch name {
        case "active_slave", "primary":
            guard let slave = reader.string(isNode, "\(path).is", expected: "a slave name or none") else { return nil }
            let slaves = bond.slaves.map(\.0)
            if slave != "none" && !slaves.contains(slave) {
                reader.error(
                    isNode, "\(path).is: \(slave) is not a slave of \(ref); slaves: \(Self.list(slaves)), or none")
                return nil
            }
            return .option(bond: ref, name: name, expected: slave)
        case "mode":
            guard let mode = reader.named(isNode, "\(path).is", BondMode.self) else { return nil }
            return .option(bond: ref, name: name, expected: mode.rawValue)
        default:
            var scratch = BondOptions()
            guard let text = applyOption(name, isNode, "\(path).is", to: &scratch) else { return nil }
            return .option(bond: ref, name: canonical, expected: text)
        }
    }

    // MARK: Expectations

    func decodeExpect(_ value: Node, _ path: String, faultSoFar: Bool) -> [Expectation] {
        var entries: [(MappingView.Entry, String)] = []
        switch value {
        case .sequence(let sequence):
            for (index, item) in sequence.enumerated() {
                guard
                    let view = reader.mapping(item, "\(path)[\(index)]", expected: "an assertion like {carrier: {...}}")
                else {
                    continue
                }
                for entry in view.entries { entries.append((entry, "\(path)[\(index)].\(entry.key)")) }
            }
        default:
            guard let view = reader.mapping(value, path, expected: "an assertion mapping or a list of them") else {
                return []
            }
            for entry in view.entries { entries.append((entry, "\(path).\(entry.key)")) }
        }
        if entries.isEmpty { reader.error(value, "\(path): expect needs at least one assertion") }
        var result: [Expectation] = []
        for (entry, entryPath) in entries {
            guard Self.assertionKeys.contains(entry.key) else {
                reader.error(
                    entry.keyNode,
                    NodeReader.unknownKeyMessage(entry.key, allowed: Self.assertionKeys, context: "expect"))
                continue
            }
            if let expectation = decodeAssertion(
                entry.key, entry.keyNode, entry.value, entryPath, faultSoFar: faultSoFar)
            {
                result.append(expectation)
            }
        }
        return result
    }

    func decodeAssertion(_ key: String, _ keyNode: Node, _ value: Node, _ path: String, faultSoFar: Bool)
        -> Expectation?
    {
        guard let view = reader.mapping(value, path) else { return nil }
        let subjectKey: String
        let allowed: [String]
        switch key {
        case "active_slave", "bond_mode": (subjectKey, allowed) = ("bond", ["bond", "is"] + Self.timingKeys)
        case "option": (subjectKey, allowed) = ("bond", ["bond", "name", "is", "within"])
        case "mii_status", "carrier": (subjectKey, allowed) = ("interface", ["interface", "is"] + Self.timingKeys)
        case "link_failures":
            (subjectKey, allowed) = ("interface", ["interface", "is", "at_least", "at_most"] + Self.timingKeys)
        case "mac":
            (subjectKey, allowed) = ("interface", ["interface", "is", "same_as", "permanent_of"] + Self.timingKeys)
        // Probe figures take no timing; the window keys are accepted only to explain why.
        case "outage": (subjectKey, allowed) = ("probe", ["probe", "at_most", "method", "scope"] + Self.windowKeys)
        case "no_loss": (subjectKey, allowed) = ("probe", ["probe", "scope"] + Self.windowKeys)
        default: (subjectKey, allowed) = ("probe", ["probe", "is", "at_least", "at_most", "scope"] + Self.windowKeys)
        }
        var ok = reader.checkKeys(view, allowed: allowed, context: "assertion \(key)")
        guard let subjectNode = view[subjectKey] else {
            if !reader.misspelled(subjectKey, in: view, allowed: allowed) {
                reader.error(value, "\(path): \(key) needs '\(subjectKey)'")
            }
            return nil
        }
        let timing = decodeTiming(key, view, path)
        if timing == nil { ok = false }
        let (wait, notBefore) = timing ?? (.immediate, nil)
        let here = location(keyNode)
        func finish(_ assertion: Assertion?) -> Expectation? {
            guard ok, let assertion else { return nil }
            return Expectation(assertion, wait: wait, notBefore: notBefore, location: here)
        }
        func need(_ name: String) -> Node? {
            if let node = view[name] { return node }
            if !reader.misspelled(name, in: view, allowed: allowed) {
                reader.error(value, "\(path): \(key) needs '\(name)'")
            }
            return nil
        }
        if subjectKey == "probe" {
            guard let name = reader.string(subjectNode, "\(path).probe", expected: "a probe name"),
                checkProbe(name, subjectNode, "\(path).probe") != nil
            else { return nil }
            var scope = ProbeScope.lastFault
            if let node = view["scope"], let text = reader.string(node, "\(path).scope") {
                switch text {
                case "run": scope = .run
                case "last_fault": scope = .lastFault
                default:
                    reader.error(node, "\(path).scope: expected run or last_fault, found '\(text)'")
                    ok = false
                }
            }
            if case .lastFault = scope, !faultSoFar {
                reader.error(
                    view["scope"] ?? keyNode,
                    "\(path): scope last_fault needs a fault step before this expect (or use scope: run)")
                ok = false
            }
            if key == "outage" {
                var method = OutageMethod.timestamp
                if let node = view["method"], let text = reader.string(node, "\(path).method") {
                    if let parsed = OutageMethod(rawValue: text) {
                        method = parsed
                    } else {
                        reader.error(node, "\(path).method: expected timestamp or loss, found '\(text)'")
                        ok = false
                    }
                }
                guard let node = need("at_most"), let limit = reader.duration(node, "\(path).at_most") else {
                    return nil
                }
                return finish(.outage(probe: name, scope, method, atMost: limit))
            }
            if key == "no_loss" { return finish(.loss(probe: name, scope, .equals(0))) }
            guard let comparison = decodeComparison(view, value, path, key) else { return nil }
            return finish(
                key == "loss" ? .loss(probe: name, scope, comparison) : .reordered(probe: name, scope, comparison))
        }
        guard let ref = reader.ref(subjectNode, "\(path).\(subjectKey)") else { return nil }
        let subjectPath = "\(path).\(subjectKey)"
        switch key {
        case "option":
            return finish(decodeOptionAssertion(view, value, path, bond: ref))
        case "active_slave":
            guard let bond = checkBond(ref, subjectNode, subjectPath), let node = need("is"),
                let text = reader.string(node, "\(path).is", expected: "a slave name or none")
            else { return nil }
            let slaves = bond.slaves.map(\.0)
            if text != "none" && !slaves.contains(text) {
                reader.error(
                    node, "\(path).is: \(text) is not a slave of \(ref); slaves: \(Self.list(slaves)), or none")
                return nil
            }
            if !bond.mode.hasActiveSlave && bond.modeKnown {
                reader.warning(
                    keyNode, "\(path): mode \(bond.mode.rawValue) has no active slave; the kernel reports none")
            }
            return finish(.activeSlave(bond: ref, expected: text == "none" ? nil : text))
        case "bond_mode":
            guard checkBond(ref, subjectNode, subjectPath) != nil, let node = need("is"),
                let text = reader.string(node, "\(path).is", expected: "a bond mode")
            else { return nil }
            guard let mode = BondMode.parse(text) else {
                reader.error(node, "\(path).is: unknown bond mode '\(text)'; modes: \(BondMode.spellings)")
                return nil
            }
            return finish(.bondMode(ref, expected: mode))
        case "mii_status":
            guard checkSlave(ref, subjectNode, subjectPath, orBond: true), let node = need("is"),
                let text = reader.string(node, "\(path).is")
            else { return nil }
            guard let status = MIIStatus(rawValue: text) else {
                reader.error(node, "\(path).is: expected up, down, going_back or going_down, found '\(text)'")
                return nil
            }
            return finish(.miiStatus(ref, expected: status))
        case "link_failures":
            guard checkSlave(ref, subjectNode, subjectPath, orBond: false),
                let comparison = decodeComparison(view, value, path, key)
            else { return nil }
            return finish(.linkFailures(ref, comparison))
        case "carrier":
            guard checkInterface(ref, subjectNode, subjectPath), let node = need("is"),
                let text = reader.string(node, "\(path).is")
            else { return nil }
            guard text == "up" || text == "down" else {
                reader.error(node, "\(path).is: expected up or down, found '\(text)'")
                return nil
            }
            return finish(.carrier(ref, expected: text == "up"))
        default:  // mac
            guard checkInterface(ref, subjectNode, subjectPath, allowLoopback: false) else { return nil }
            let given = ["is", "same_as", "permanent_of"].filter(view.has)
            guard given.count == 1 else {
                reader.error(value, "\(path): mac needs exactly one of 'is', 'same_as', 'permanent_of'")
                return nil
            }
            let node = view[given[0]] ?? value
            switch given[0] {
            case "is":
                guard let mac = reader.mac(node, "\(path).is") else { return nil }
                return finish(.mac(ref, expected: .literal(mac)))
            case "same_as":
                guard let other = reader.ref(node, "\(path).same_as"), checkInterface(other, node, "\(path).same_as")
                else { return nil }
                return finish(.mac(ref, expected: .sameAs(other)))
            default:
                guard let other = reader.ref(node, "\(path).permanent_of"),
                    checkSlave(other, node, "\(path).permanent_of", orBond: false)
                else { return nil }
                return finish(.mac(ref, expected: .permanentOf(other)))
            }
        }
    }

    /// The keys that time an assertion; every time is measured from the start of the step.
    static let timingKeys = ["within"] + windowKeys
    static let windowKeys = ["not_before", "throughout", "never"]

    /// `within` (upper bound, `auto` derived), `not_before` (lower bound, with `within`),
    /// `throughout` / `never` (a window the condition must hold / not hold in). Nil (after
    /// reporting every problem at its node) when the combination makes no sense.
    func decodeTiming(_ key: String, _ view: MappingView, _ path: String) -> (Wait, Duration?)? {
        var ok = true
        func positive(_ name: String) -> Duration? {
            guard let node = view[name] else { return nil }
            guard let duration = reader.duration(node, "\(path).\(name)") else {
                ok = false
                return nil
            }
            if duration <= .zero {
                reader.error(node, "\(path).\(name): must be longer than 0, found \(duration.playbookText)")
                ok = false
                return nil
            }
            return duration
        }
        var wait = Wait.immediate
        var upper: Duration?
        if let node = view["within"] {
            if case .scalar(let scalar) = node, scalar.string == "auto" {
                wait = .derived
            } else if let duration = reader.duration(node, "\(path).within") {
                wait = .within(duration)
                upper = duration
            } else {
                ok = false
            }
        }
        let notBefore = positive("not_before")
        let throughout = positive("throughout")
        let never = positive("never")
        // Static properties and probe figures have no timeline to bound from below or to watch.
        let staticKind: String? =
            switch key {
            case "bond_mode": "bond_mode: a static property, checked once"
            case "mac" where view.has("permanent_of"): "mac permanent_of: a static property, checked once"
            case "active_slave", "mii_status", "carrier", "link_failures", "mac": nil
            default: "\(key): probe figures are measured over a scope, not on a timeline"
            }
        if let staticKind {
            for name in ["not_before", "throughout", "never"] {
                guard let node = view[name] else { continue }
                reader.error(node, "\(path).\(name): not allowed on \(staticKind)")
                ok = false
            }
        }
        if view.has("throughout"), view.has("never"), let node = view["never"] {
            reader.error(node, "\(path).never: cannot be combined with 'throughout'; write two assertions")
            ok = false
        }
        for name in ["throughout", "never"] where view.has(name) && view.has("within") {
            reader.error(
                view["within"], "\(path).within: cannot be combined with '\(name)' (a window, not a deadline)")
            ok = false
        }
        for name in ["throughout", "never"] where view.has(name) && view.has("not_before") {
            reader.error(
                view["not_before"], "\(path).not_before: cannot be combined with '\(name)'; it bounds 'within'")
            ok = false
        }
        if let node = view["not_before"], !view.has("within"), !view.has("throughout"), !view.has("never") {
            reader.error(node, "\(path).not_before: needs 'within' (the upper bound)")
            ok = false
        }
        if let notBefore, let upper, notBefore >= upper, let node = view["not_before"] {
            reader.error(
                node,
                "\(path).not_before: \(notBefore.playbookText) must be shorter than within \(upper.playbookText)")
            ok = false
        }
        guard ok else { return nil }
        if let throughout { wait = .throughout(throughout) }
        if let never { wait = .never(never) }
        return (wait, notBefore)
    }

    func decodeComparison(_ view: MappingView, _ value: Node, _ path: String, _ key: String) -> CountComparison? {
        let given = ["is", "at_least", "at_most"].filter(view.has)
        guard given.count == 1, let node = view[given[0]] else {
            reader.error(value, "\(path): \(key) needs exactly one of 'is', 'at_least', 'at_most'")
            return nil
        }
        guard let count = reader.int(node, "\(path).\(given[0])", range: 0...Int(Int32.max)) else { return nil }
        switch given[0] {
        case "is": return .equals(count)
        case "at_least": return .atLeast(count)
        default: return .atMost(count)
        }
    }
}
