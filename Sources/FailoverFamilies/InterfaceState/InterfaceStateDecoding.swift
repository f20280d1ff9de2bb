import FailoverModel
import FailoverPlaybook
import Yams

/// The interface and bond state family: what the kernel reports about an interface, observed on
/// the timeline (bond mode and permanent MACs are static and read once). Evaluated in
/// InterfaceStateFamily.swift.
extension PlaybookDecoder {
    static let interfaceStateAssertions: [AssertionEntry] = [
        AssertionEntry(key: "active_slave", subject: "bond", keys: ["is"], timing: .timeline) {
            $0.decoder.decodeActiveSlave($0)
        },
        AssertionEntry(
            key: "bond_mode", subject: "bond", keys: ["is"], timing: .once("bond_mode: a static property, checked once")
        ) { $0.decoder.decodeBondMode($0) },
        AssertionEntry(key: "mii_status", subject: "interface", keys: ["is"], timing: .timeline) {
            $0.decoder.decodeMIIStatus($0)
        },
        AssertionEntry(
            key: "link_failures", subject: "interface", keys: ["is", "at_least", "at_most"], timing: .timeline
        ) { $0.decoder.decodeLinkFailures($0) },
        AssertionEntry(key: "carrier", subject: "interface", keys: ["is"], timing: .timeline) {
            $0.decoder.decodeCarrier($0)
        },
        AssertionEntry(
            key: "mac", subject: "interface", keys: ["is", "same_as", "permanent_of"],
            timing: .onceWith(key: "permanent_of", reason: "mac permanent_of: a static property, checked once")
        ) { $0.decoder.decodeMAC($0) },
        AssertionEntry(key: "admin_state", subject: "interface", keys: ["is"], timing: .timeline) {
            $0.decoder.decodeAdminState($0)
        },
    ]

    func decodeActiveSlave(_ input: AssertionInput) -> Assertion? {
        guard let ref = input.ref(), let node = input.need("is"),
            let text = reader.string(node, "\(input.path).is", expected: "a slave name or none")
        else { return nil }
        return .activeSlave(bond: ref, expected: text == "none" ? nil : text)
    }

    func decodeBondMode(_ input: AssertionInput) -> Assertion? {
        guard let ref = input.ref(), let node = input.need("is"),
            let text = reader.string(node, "\(input.path).is", expected: "a bond mode")
        else { return nil }
        guard let mode = BondMode.parse(text) else {
            reader.error(node, "\(input.path).is: unknown bond mode '\(text)'; modes: \(BondMode.spellings)")
            return nil
        }
        return .bondMode(ref, expected: mode)
    }

    func decodeMIIStatus(_ input: AssertionInput) -> Assertion? {
        guard let ref = input.ref(), let node = input.need("is"), let text = reader.string(node, "\(input.path).is")
        else { return nil }
        guard let status = MIIStatus(rawValue: text) else {
            reader.error(node, "\(input.path).is: expected up, down, going_back or going_down, found '\(text)'")
            return nil
        }
        return .miiStatus(ref, expected: status)
    }

    func decodeLinkFailures(_ input: AssertionInput) -> Assertion? {
        guard let ref = input.ref(), let comparison = input.comparison() else { return nil }
        return .linkFailures(ref, comparison)
    }

    func decodeCarrier(_ input: AssertionInput) -> Assertion? {
        upOrDown(input).map { .carrier($0.ref, expected: $0.up) }
    }

    /// `admin_state: {interface: h/if, is: up|down}`: IFF_UP, on any interface of the host.
    func decodeAdminState(_ input: AssertionInput) -> Assertion? {
        upOrDown(input).map { .adminState($0.ref, expected: $0.up) }
    }

    /// An interface of the host and `is: up|down`.
    private func upOrDown(_ input: AssertionInput) -> (ref: InterfaceRef, up: Bool)? {
        guard let ref = input.ref(), let node = input.need("is"), let text = reader.string(node, "\(input.path).is")
        else { return nil }
        guard text == "up" || text == "down" else {
            reader.error(node, "\(input.path).is: expected up or down, found '\(text)'")
            return nil
        }
        return (ref, text == "up")
    }

    func decodeMAC(_ input: AssertionInput) -> Assertion? {
        let path = input.path
        guard let ref = input.ref() else { return nil }
        let given = ["is", "same_as", "permanent_of"].filter(input.view.has)
        guard given.count == 1 else {
            reader.error(input.value, "\(path): mac needs exactly one of 'is', 'same_as', 'permanent_of'")
            return nil
        }
        let node = input.view[given[0]] ?? input.value
        switch given[0] {
        case "is":
            guard let mac = reader.mac(node, "\(path).is") else { return nil }
            return .mac(ref, expected: .literal(mac))
        case "same_as":
            guard let other = reader.ref(node, "\(path).same_as") else { return nil }
            return .mac(ref, expected: .sameAs(other))
        default:
            guard let other = reader.ref(node, "\(path).permanent_of") else { return nil }
            return .mac(ref, expected: .permanentOf(other))
        }
    }

    /// The references of the family's assertions, on the model: the subject is a bond, a slave
    /// or an interface of its host as the kind needs; `active_slave`'s slave is one of the bond.
    static let interfaceStateChecker = ExpectationCheck { expectation, mark, context in
        switch expectation.assertion {
        case .activeSlave(let ref, let expected):
            guard let bond = context.requireBond(ref, at: mark("bond")) else { return }
            if let expected, !bond.slaves.contains(expected) {
                let at = mark("is")
                context.error(
                    at,
                    "\(at.path): \(expected) is not a slave of \(ref); slaves: \(TopologyIndex.list(bond.slaves)), or none"
                )
                return
            }
            if !bond.mode.hasActiveSlave && BondModeWarnings.modeKnown(bond) {
                let at = mark("key")
                context.warning(
                    at, "\(at.path): mode \(bond.mode.rawValue) has no active slave; the kernel reports none")
            }
        case .bondMode(let ref, _):
            context.requireBond(ref, at: mark("bond"))
        case .miiStatus(let ref, _):
            context.requireSlave(ref, at: mark("interface"), orBond: true)
        case .linkFailures(let ref, _):
            context.requireSlave(ref, at: mark("interface"), orBond: false)
        case .carrier(let ref, _), .adminState(let ref, _):
            context.requireInterface(ref, at: mark("interface"))
        case .mac(let ref, let expected):
            guard context.requireInterface(ref, at: mark("interface"), allowLoopback: false) else { return }
            switch expected {
            case .literal: return
            case .sameAs(let other): context.requireInterface(other, at: mark("same_as"))
            case .permanentOf(let other): context.requireSlave(other, at: mark("permanent_of"), orBond: false)
            }
        default:
            return
        }
    }
}
