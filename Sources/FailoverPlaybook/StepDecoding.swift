import FailoverModel
import Yams

extension PlaybookDecoder {
    static let probeKeys = [
        "name", "from", "to", "from_address", "to_address", "rate", "size", "direction", "flows", "port", "start",
    ]

    // MARK: Lookups

    func cable(at ref: InterfaceRef) -> Cable? { cables.first { $0.a == ref || $0.b.hostEnd == ref } }

    func bond(at ref: InterfaceRef) -> BondDecl? { hosts[ref.host]?.bonds.first { $0.name == ref.interface } }

    func bondOfSlave(_ ref: InterfaceRef) -> BondDecl? {
        hosts[ref.host]?.bonds.first { $0.slaves.contains { $0.0 == ref.interface } }
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
            var toGroup: String?
            for key in ["from", "to"] {
                if key == "to", let node = view["to"] {
                    // `to: {carp: G}`: addressed to G's VIP.
                    switch decodeProbeTarget(node, "\(path).to") {
                    case .host: break
                    case .group(let group):
                        (to, toGroup) = (group, group)
                        continue
                    case .invalid:
                        ok = false
                        continue
                    }
                }
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
            if !from.isEmpty && from == to && toGroup == nil {
                reader.error(view["to"], "\(path).to: a probe needs two different hosts")
                ok = false
            }
            var spec = ProbeSpec(name: name, from: from, to: to, toGroup: toGroup, location: location(item))
            if let toGroup, !from.isEmpty, carp.first(where: { $0.name == toGroup })?.member(on: from) != nil {
                reader.error(
                    view["from"], "\(path).from: \(from) is a member of carp group \(toGroup); the probe needs a client"
                )
                ok = false
            }
            if toGroup != nil, let node = view["to_address"] {
                reader.error(node, "\(path).to_address: a probe to a carp group goes to its VIP; leave to_address out")
                ok = false
            }
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
                    if toGroup != nil, direction != .forward {
                        reader.error(
                            node, "\(path).direction: a probe to a carp group's VIP is forward only (client → VIP)")
                        ok = false
                    }
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

    /// What a probe's `to` names: a host (a plain name, read by the caller), a CARP group's VIP
    /// (`{carp: G}`), or something wrong (the error is reported).
    enum ProbeTarget {
        case host
        case group(String)
        case invalid
    }

    func decodeProbeTarget(_ node: Node, _ path: String) -> ProbeTarget {
        guard case .mapping = node else { return .host }
        guard let view = reader.mapping(node, path) else { return .invalid }
        guard reader.checkKeys(view, allowed: ["carp"], context: "probe target") else { return .invalid }
        guard let groupNode = view["carp"] else {
            reader.error(node, "\(path): expected a host name or {carp: GROUP}")
            return .invalid
        }
        guard let group = reader.string(groupNode, "\(path).carp", expected: "a carp group name") else {
            return .invalid
        }
        guard carp.contains(where: { $0.name == group }) else {
            reader.error(groupNode, "\(path).carp: no carp group \(group); groups: \(Self.list(carp.map(\.name)))")
            return .invalid
        }
        return .group(group)
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
            guard let entry = registry.stepEntry(first.key) else {
                reader.error(
                    first.keyNode,
                    NodeReader.unknownKeyMessage(
                        first.key, allowed: registry.stepKeys, context: "step \(index + 1) (\(path))"))
                continue
            }
            let here = location(first.keyNode)
            let actionPath = "\(path).\(first.key)"
            let input = StepInput(
                key: first.key, value: first.value, path: actionPath, faultSoFar: steps.contains { $0.action.isFault })
            var marks = SourceMarks(["target": SourceMark(location: location(first.value), path: actionPath)])
            // A mapping's values and keys (`bond`, `key:primary`), for the checks of references.
            if case .mapping(let mapping) = first.value {
                for (keyNode, value) in mapping {
                    guard let key = keyNode.string else { continue }
                    marks[key] = SourceMark(location: location(value), path: "\(actionPath).\(key)")
                    marks["key:\(key)"] = SourceMark(location: location(keyNode), path: "\(actionPath).\(key)")
                }
            }
            for action in entry.decode(self, input) { steps.append(Step(action, location: here, marks: marks)) }
        }
        if items.isEmpty { reader.warning(node, "steps: the playbook has no steps; it only builds and tears down") }
        return steps
    }

    /// Waits, probe control and assertions: steps that change nothing on the network.
    public static let controlSteps: [StepEntry] = [
        StepEntry(key: "hold") { decoder, input in
            decoder.reader.duration(input.value, input.path).map { [.hold($0)] } ?? []
        },
        StepEntry(key: "start_probe") { $0.decodeProbeControl($1).map { [.startProbe($0)] } ?? [] },
        StepEntry(key: "stop_probe") { $0.decodeProbeControl($1).map { [.stopProbe($0)] } ?? [] },
        StepEntry(key: "expect") { decoder, input in
            let expectations = decoder.decodeExpect(input.value, input.path, faultSoFar: input.faultSoFar)
            return expectations.isEmpty ? [] : [.expect(expectations)]
        },
    ]

    func decodeProbeControl(_ input: StepInput) -> String? {
        let (value, path) = (input.value, input.path)
        return reader.string(value, path, expected: "a probe name")
    }

    /// The references of the control steps, on the model: the probe exists (and a probe started
    /// by hand does not already start with the run).
    static let controlStepChecker = StepCheck { step, index, context in
        func mark(_ key: String) -> SourceMark {
            step.marks["target"]
                ?? SourceMark(location: context.index.location(step.location), path: "steps[\(index)].\(key)")
        }
        switch step.action {
        case .startProbe(let name):
            let mark = mark("start_probe")
            guard let probe = context.requireProbe(name, at: mark) else { return }
            if probe.autoStart {
                context.warning(
                    mark, "\(mark.path): probe \(name) already starts with the run (set start: manual on it)")
            }
        case .stopProbe(let name):
            context.requireProbe(name, at: mark("stop_probe"))
        default:
            return
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
            guard let kind = registry.assertionEntry(entry.key) else {
                reader.error(
                    entry.keyNode,
                    NodeReader.unknownKeyMessage(entry.key, allowed: registry.assertionKeys, context: "expect"))
                continue
            }
            if let expectation = decodeAssertion(kind, entry.keyNode, entry.value, entryPath, faultSoFar: faultSoFar) {
                result.append(expectation)
            }
        }
        return result
    }

    /// One assertion through its registry entry: sub-keys, subject and timing here, the rest by
    /// the entry's decoder.
    func decodeAssertion(_ kind: AssertionEntry, _ keyNode: Node, _ value: Node, _ path: String, faultSoFar: Bool)
        -> Expectation?
    {
        guard let view = reader.mapping(value, path) else { return nil }
        let allowed = kind.allowed
        var ok = reader.checkKeys(view, allowed: allowed, context: "assertion \(kind.key)")
        guard let subjectNode = view[kind.subject] else {
            if !reader.misspelled(kind.subject, in: view, allowed: allowed) {
                reader.error(value, "\(path): \(kind.key) needs '\(kind.subject)'")
            }
            return nil
        }
        let timing = decodeTiming(kind, view, path)
        if timing == nil { ok = false }
        let (wait, notBefore) = timing ?? (.immediate, nil)
        let input = AssertionInput(
            decoder: self, entry: kind, keyNode: keyNode, value: value, view: view, path: path,
            subjectNode: subjectNode, faultSoFar: faultSoFar)
        let assertion = kind.decode(input)
        guard ok, input.ok, let assertion else { return nil }
        var marks = SourceMarks(["key": SourceMark(location: location(keyNode), path: path)])
        for entry in view.entries {
            marks[entry.key] = SourceMark(location: location(entry.value), path: "\(path).\(entry.key)")
        }
        return Expectation(assertion, wait: wait, notBefore: notBefore, location: location(keyNode), marks: marks)
    }

    /// The keys that time an assertion; every time is measured from the start of the step.
    package static let timingKeys = ["within"] + windowKeys
    package static let windowKeys = ["not_before", "throughout", "never"]

    /// `within` (upper bound, `auto` derived), `not_before` (lower bound, with `within`),
    /// `throughout` / `never` (a window the condition must hold / not hold in). Nil (after
    /// reporting every problem at its node) when the combination makes no sense.
    func decodeTiming(_ kind: AssertionEntry, _ view: MappingView, _ path: String) -> (Wait, Duration?)? {
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
                if kind.derivesDeadline {
                    wait = .derived
                } else {
                    reader.error(
                        node, "\(path).within: auto: no deadline is derived for \(kind.key); give a duration like 2s")
                    ok = false
                }
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
        if let staticKind = kind.notOnTimeline(view) {
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

    package func decodeComparison(_ view: MappingView, _ value: Node, _ path: String, _ key: String) -> CountComparison?
    {
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
