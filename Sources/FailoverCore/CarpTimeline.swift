public import FailoverModel

/// A CARP group read from the observation log: who holds the VIP (netlink `address` records of
/// every member) and who is master (ucarp's `carp_state` lines, its exit, and the `carp_signal`
/// records of SIGSTOP/SIGCONT).
public enum CarpTimeline {
    /// The members whose namespace holds the VIP after the last record, sorted.
    public static func owners(of group: CarpGroup, in records: [ObservationRecord]) -> [String] {
        let added = "added \(group.vip)"
        let removed = "removed \(group.vip)"
        var holds: [String: Bool] = [:]
        for record in records where record.kind == "address" && group.member(on: record.host) != nil {
            if record.detail == added { holds[record.host] = true }
            if record.detail == removed { holds[record.host] = false }
        }
        return holds.filter(\.value).keys.sorted()
    }

    /// The members whose ucarp is running, not frozen, and last said MASTER, sorted.
    public static func masters(of group: CarpGroup, in records: [ObservationRecord]) -> [String] {
        let prefix = "\(group.name) vhid \(group.vhid): "
        var state: [String: String] = [:]
        var frozen: [String: Bool] = [:]
        for record in records where record.detail.hasPrefix(prefix) && group.member(on: record.host) != nil {
            let value = String(record.detail.dropFirst(prefix.count))
            switch record.kind {
            case "carp_state": state[record.host] = value.hasPrefix("EXITED") ? "EXITED" : value
            case "carp_signal" where value == "SIGSTOP": frozen[record.host] = true
            case "carp_signal" where value == "SIGCONT": frozen[record.host] = false
            default: break
            }
        }
        return state.filter { $0.value == "MASTER" && frozen[$0.key] != true }.keys.sorted()
    }

    /// The members holding the VIP whose ucarp has exited or is frozen (SIGSTOP without SIGCONT), sorted.
    public static func orphans(of group: CarpGroup, in records: [ObservationRecord]) -> [String] {
        let prefix = "\(group.name) vhid \(group.vhid): "
        var dead: [String: Bool] = [:]
        for record in records where record.detail.hasPrefix(prefix) && group.member(on: record.host) != nil {
            let value = String(record.detail.dropFirst(prefix.count))
            switch record.kind {
            case "carp_state" where value.hasPrefix("EXITED"): dead[record.host] = true
            // A state line after an exit: the peer was started again (`start_peer`).
            case "carp_state": dead[record.host] = false
            case "carp_signal" where value == "SIGSTOP": dead[record.host] = true
            case "carp_signal" where value == "SIGCONT": dead[record.host] = false
            default: break
            }
        }
        return owners(of: group, in: records).filter { dead[$0] == true }
    }

    /// The periods in which two or more members held the VIP at once: start, end (nil: still
    /// open at the last record) and the holders, from the address records in time order.
    public static func overlaps(of group: CarpGroup, in records: [ObservationRecord]) -> [(
        start: MonotonicInstant, end: MonotonicInstant?, nodes: [String]
    )] {
        let added = "added \(group.vip)"
        let removed = "removed \(group.vip)"
        var holders: Set<String> = []
        var result: [(start: MonotonicInstant, end: MonotonicInstant?, nodes: [String])] = []
        var open: (start: MonotonicInstant, nodes: Set<String>)?
        for record in records.sorted(by: { $0.time < $1.time })
        where record.kind == "address" && group.member(on: record.host) != nil {
            if record.detail == added { holders.insert(record.host) }
            if record.detail == removed { holders.remove(record.host) }
            if holders.count >= 2 {
                if open == nil { open = (record.time, holders) } else { open?.nodes.formUnion(holders) }
            } else if let period = open {
                result.append((period.start, record.time, period.nodes.sorted()))
                open = nil
            }
        }
        if let period = open { result.append((period.start, nil, period.nodes.sorted())) }
        return result
    }

    /// The group's ownership and state changes in order, for a failure message:
    /// `r1 +VIP at 3.012s, r1 MASTER at 3.012s, r1 SIGKILL at 5.100s, …` (times from the first record).
    public static func ownershipText(_ group: CarpGroup, _ records: [ObservationRecord]) -> String {
        guard let start = records.first?.time.nanoseconds else { return "timeline: empty" }
        let prefix = "\(group.name) vhid \(group.vhid): "
        var events: [String] = []
        for record in records where group.member(on: record.host) != nil {
            let what: String
            switch record.kind {
            case "address" where record.detail == "added \(group.vip)": what = "+VIP"
            case "address" where record.detail == "removed \(group.vip)": what = "-VIP"
            case "carp_state" where record.detail.hasPrefix(prefix),
                "carp_signal" where record.detail.hasPrefix(prefix):
                what = String(record.detail.dropFirst(prefix.count))
            default: continue
            }
            let ms = Double(record.time.nanoseconds &- start) / 1_000_000
            events.append("\(record.host) \(what) at \(Int(ms.rounded()))ms")
        }
        return "timeline: " + (events.isEmpty ? "no VIP or state change" : events.joined(separator: ", "))
    }
}
