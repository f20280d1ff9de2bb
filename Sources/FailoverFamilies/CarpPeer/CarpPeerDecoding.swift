import FailoverModel
import FailoverPlaybook
import Yams

/// The CARP peer family, as a playbook spells it: faults on a peer (`kill_peer`, `stop_peer`,
/// `freeze`, `thaw`, `demote`: `{group: NAME, node: HOST}`) and the assertions `vip_owner`
/// (`{group, is: [nodes] | none}`) and `master` (`{group, is: node | none}`). Groups and nodes are
/// checked on the model (`carpPeerChecker`). Evaluated in CarpPeerFamily.swift.
extension PlaybookDecoder {
    static let carpPeerSteps: [StepEntry] =
        PeerFault.allCases.map { fault in
            StepEntry(key: fault.rawValue) { decoder, input in
                decoder.decodePeerStep(fault.rawValue, input) { .peer(fault, group: $0, node: $1) }
            }
        } + [
            // Adverts dropped to and from a node (nftables in its namespace), and the filter removed.
            StepEntry(key: "partition") { decoder, input in
                decoder.decodePeerStep("partition", input) { .partition(group: $0, node: $1) }
            },
            StepEntry(key: "heal") { decoder, input in
                decoder.decodePeerStep("heal", input) { .heal(group: $0, node: $1) }
            },
        ]

    static let carpPeerAssertions: [AssertionEntry] = [
        AssertionEntry(
            key: "vip_owner", subject: "group", keys: ["is"],
            timing: .withinOnly(reason: "vip_owner: read from the address events, polled until within"),
            derivesDeadline: true
        ) { $0.decoder.decodeVIPOwner($0) },
        AssertionEntry(
            key: "master", subject: "group", keys: ["is"],
            timing: .withinOnly(reason: "master: read from ucarp's state lines, polled until within"),
            derivesDeadline: true
        ) { $0.decoder.decodeCarpMaster($0) },
        AssertionEntry(
            key: "orphan_vip", subject: "group", keys: ["is"],
            timing: .withinOnly(reason: "orphan_vip: read from the address events and peer exits, polled until within"),
            derivesDeadline: true
        ) { $0.decoder.decodeOrphanVIP($0) },
        overRun("single_master") { .singleMaster(group: $0, scope: $1) },
        overRun("split_brain") { .splitBrain(group: $0, scope: $1) },
    ]

    /// `{group: G, scope?: run | last_fault}`, checked once over the whole run so far (or since the
    /// last fault step) from the ownership log.
    static func overRun(_ key: String, make: @escaping @Sendable (String, ProbeScope) -> Assertion) -> AssertionEntry {
        AssertionEntry(
            key: key, subject: "group", keys: ["scope"],
            timing: .once(
                "\(key): over the whole run so far or since the last fault, from the ownership log, checked once")
        ) { input in
            guard
                let group = input.decoder.reader.string(
                    input.subjectNode, input.subjectPath, expected: "a CARP group name")
            else { return nil }
            var scope = ProbeScope.run
            if let node = input.view["scope"], let text = input.decoder.reader.string(node, "\(input.path).scope") {
                switch text {
                case "run": scope = .run
                case "last_fault": scope = .lastFault
                default:
                    input.decoder.reader.error(node, "\(input.path).scope: expected run or last_fault, found '\(text)'")
                    input.ok = false
                    return nil
                }
            }
            return make(group, scope)
        }
    }

    /// `{group: G, node: N}` of a step on one peer of a group.
    func decodePeerStep(_ key: String, _ input: StepInput, make: (String, String) -> StepAction) -> [StepAction] {
        let path = input.path
        guard
            let view = reader.mapping(
                input.value, path, expected: "a mapping like {group: outside, node: r1}")
        else { return [] }
        let allowed = ["group", "node"]
        var ok = reader.checkKeys(view, allowed: allowed, context: "\(key) step")
        let kind = key
        func need(_ key: String) -> String? {
            guard let node = view[key] else {
                if !reader.misspelled(key, in: view, allowed: allowed) {
                    reader.error(input.value, "\(path): \(kind) needs '\(key)'")
                }
                ok = false
                return nil
            }
            return reader.string(node, "\(path).\(key)")
        }
        let group = need("group")
        let node = need("node")
        guard ok, let group, let node else { return [] }
        return [make(group, node)]
    }

    func decodeVIPOwner(_ input: AssertionInput) -> Assertion? {
        decodeNodeSet(input).map { .vipOwner(group: $0.group, expected: $0.nodes) }
    }

    func decodeOrphanVIP(_ input: AssertionInput) -> Assertion? {
        decodeNodeSet(input).map { .orphanVIP(group: $0.group, expected: $0.nodes) }
    }

    /// `{group: G, is: [nodes] | none}`.
    private func decodeNodeSet(_ input: AssertionInput) -> (group: String, nodes: [String])? {
        guard let group = reader.string(input.subjectNode, input.subjectPath, expected: "a CARP group name"),
            let node = input.need("is")
        else { return nil }
        if case .scalar(let scalar) = node, scalar.string == "none" { return (group, []) }
        guard let items = reader.list(node, "\(input.path).is") else { return nil }
        let names = items.enumerated().compactMap { reader.string($1, "\(input.path).is[\($0)]", expected: "a host") }
        guard names.count == items.count else { return nil }
        return (group, names.sorted())
    }

    func decodeCarpMaster(_ input: AssertionInput) -> Assertion? {
        guard let group = reader.string(input.subjectNode, input.subjectPath, expected: "a CARP group name"),
            let node = input.need("is"),
            let name = reader.string(node, "\(input.path).is", expected: "a host or none")
        else { return nil }
        return .carpMaster(group: group, expected: name == "none" ? nil : name)
    }

    /// Groups and nodes named by peer faults and CARP assertions exist, and the node is a member.
    static let carpPeerChecker = StepCheck { step, index, context in
        let mark =
            step.marks["target"]
            ?? SourceMark(location: context.index.location(step.location), path: "steps[\(index)]")
        func require(_ group: String, _ nodes: [String], at mark: SourceMark) {
            let groups = context.index.topology.carp
            guard let found = groups.first(where: { $0.name == group }) else {
                context.error(
                    mark,
                    "\(mark.path): no CARP group \(group); groups: \(TopologyIndex.list(groups.map(\.name)))")
                return
            }
            for node in nodes where found.member(on: node) == nil {
                context.error(
                    mark,
                    "\(mark.path): \(node) is not a member of CARP group \(group); members: \(TopologyIndex.list(found.members.map(\.node)))"
                )
            }
        }
        switch step.action {
        case .peer(_, let group, let node), .partition(let group, let node), .heal(let group, let node):
            require(group, [node], at: mark)
        case .expect(let expectations):
            for expectation in expectations {
                let expectMark = SourceMark(
                    location: context.index.location(expectation.location ?? step.location), path: "steps[\(index)]")
                switch expectation.assertion {
                case .vipOwner(let group, let nodes), .orphanVIP(let group, let nodes):
                    require(group, nodes, at: expectMark)
                case .carpMaster(let group, let node): require(group, node.map { [$0] } ?? [], at: expectMark)
                case .singleMaster(let group, let scope), .splitBrain(let group, let scope):
                    require(group, [], at: expectMark)
                    if scope == .lastFault, !context.faultBefore {
                        context.error(
                            expectMark, "\(expectMark.path): scope last_fault needs a fault step before this expect")
                    }
                default: break
                }
            }
        default:
            return
        }
    }
}
