public import FailoverModel

/// Deadlines for `within: auto`, derived from the documented bond timers
/// (bonding.rst §2: MII monitor ticks, up/down delay rounded down to a multiple of miimon;
/// ARP monitor: `arp_missed_max` missed intervals, one more for backups).
public enum DerivedDeadline {
    /// Processing margin added to every derived deadline (netlink delivery, scheduling).
    public static let margin: Duration = .milliseconds(50)
    /// Deadline for an assertion on an interface that is not part of a bond (veth carrier follows
    /// the peer's admin state synchronously; this is delivery margin only).
    public static let plainInterface: Duration = .milliseconds(100)

    /// The deadline for `assertion` in `topology`, without any allowance, and the rule used.
    public static func deadline(for assertion: Assertion, in topology: Topology) -> (Duration, String) {
        guard let ref = assertion.interface else { return (plainInterface, "not a bond assertion") }
        guard let bond = relevantBond(for: ref, in: topology) else {
            return (plainInterface + margin, "no bond involved: \(plainInterface.playbookText) + margin")
        }
        let options = bond.options
        let arpInterval = options.arpInterval ?? 0
        let usesARP =
            arpInterval > 0 && bond.mode != .ieee8023ad && bond.mode != .balanceTLB && bond.mode != .balanceALB
        if usesARP {
            // A slave is declared down after arp_missed_max missed intervals (+1 for backups);
            // coming back up takes one good interval. Take the longer, plus one interval of phase.
            let missed = options.arpMissedMax ?? 2
            let ms = arpInterval * (missed + 2)
            return (
                .milliseconds(ms) + margin,
                "ARP monitor: arp_interval \(arpInterval)ms x (arp_missed_max \(missed) + 2) + margin"
            )
        }
        let miimon = options.miimon ?? 100
        guard miimon > 0 else {
            return (.seconds(1), "no link monitor configured: 1s")
        }
        let up = ((options.updelay ?? 0) / miimon) * miimon
        let down = ((options.downdelay ?? 0) / miimon) * miimon
        let ms = 2 * miimon + max(up, down)
        return (
            .milliseconds(ms) + margin,
            "MII monitor: 2 x miimon \(miimon)ms + max(updelay \(up), downdelay \(down)) + margin"
        )
    }

    /// The bond an assertion about `ref` depends on: the bond itself, or the bond it is a slave of.
    public static func relevantBond(for ref: InterfaceRef, in topology: Topology) -> Bond? {
        guard let host = topology.host(named: ref.host) else { return nil }
        if let bond = host.bonds.first(where: { $0.name == ref.interface }) { return bond }
        return host.bonds.first { $0.slaves.contains(ref.interface) }
    }

    /// Every timer a playbook's deadlines can be derived from, for the report.
    public static func timers(of topology: Topology) -> [TimerRecord] {
        var result: [TimerRecord] = []
        for host in topology.hosts {
            for bond in host.bonds {
                let prefix = "\(host.name)/\(bond.name)"
                let o = bond.options
                let named: [(String, Int?)] = [
                    ("miimon", o.miimon), ("updelay", o.updelay), ("downdelay", o.downdelay),
                    ("arp_interval", o.arpInterval), ("arp_missed_max", o.arpMissedMax),
                    ("peer_notif_delay", o.peerNotifDelay),
                ]
                for (name, value) in named {
                    if let value { result.append(TimerRecord(name: "\(prefix) \(name)", milliseconds: value)) }
                }
            }
        }
        return result
    }
}
