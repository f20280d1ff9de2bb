import FailoverModel
import FailoverPlaybook
import Yams

/// The bond option family: `set` changes options at run time (a reconfiguration, or a refusal
/// checked like an assertion with `expect_error`), `option` asserts the value the kernel reports.
extension PlaybookDecoder {
    static let bondOptionSteps: [StepEntry] = [
        StepEntry(key: "set") { $0.decodeSet($1.value, $1.path) }
    ]

    static let bondOptionAssertions: [AssertionEntry] = [
        AssertionEntry(
            key: "option", subject: "bond", keys: ["name", "is"],
            timing: .withinOnly(reason: "option: a value read from the kernel, polled until within")
        ) { input in
            guard let ref = input.ref() else { return nil }
            return input.decoder.decodeOptionAssertion(input.view, input.value, input.path, bond: ref)
        }
    ]

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
        guard let ref = reader.ref(bondNode, "\(path).bond") else { return [] }
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

    /// The references of `set` steps, on the model: the bond exists, a slave named by
    /// `active_slave` or `primary` is one of it; `active_slave` on a mode without one is a warning.
    static let setStepChecker = StepCheck { step, index, context in
        guard case .set(let ref, let option, let value, let expectError) = step.action else { return }
        let path = step.marks["target"]?.path ?? "steps[\(index)].set"
        func mark(_ part: String) -> SourceMark {
            step.marks[part]
                ?? SourceMark(
                    location: context.index.location(step.location), path: "\(path).\(part.replacing("key:", with: ""))"
                )
        }
        guard let bond = context.requireBond(ref, at: mark("bond")) else { return }
        guard option == "active_slave" || option == "primary" else { return }
        if !value.isEmpty && value != "none" && !bond.slaves.contains(value) {
            let at = mark(option)
            context.error(
                at, "\(at.path): \(value) is not a slave of \(ref); slaves: \(TopologyIndex.list(bond.slaves))")
            return
        }
        if option == "active_slave" && !bond.mode.hasActiveSlave && expectError == nil {
            let at = mark("key:\(option)")
            context.warning(at, "\(at.path): mode \(bond.mode.rawValue) has no active slave")
        }
    }

    /// The references of `option` assertions, on the model: the bond exists, a slave named as
    /// the value of `active_slave` or `primary` is one of it.
    static let optionChecker = ExpectationCheck { expectation, mark, context in
        guard case .option(let ref, let name, let expected) = expectation.assertion else { return }
        guard let bond = context.requireBond(ref, at: mark("bond")) else { return }
        if (name == "active_slave" || name == "primary") && expected != "none" && !bond.slaves.contains(expected) {
            let at = mark("is")
            context.error(
                at,
                "\(at.path): \(expected) is not a slave of \(ref); slaves: \(TopologyIndex.list(bond.slaves)), or none")
        }
    }
}
