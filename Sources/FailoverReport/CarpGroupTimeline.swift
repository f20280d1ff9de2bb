public import FailoverModel
import Foundation

/// One timeline per CARP group for the HTML report, from the run record only: the members'
/// ucarp state lines (`carp_state`), the signals sent to them (`carp_signal`), the fault steps
/// (`kill_peer G/N`, `pull h/if`, …; waits, probe control and `expect` left out) and the VIP's
/// ownership per node (IPv4 `address` records on a member's interface once its group's peers
/// run: the peers start after every interface has its own addresses and ucarp is IPv4-only, so
/// an IPv4 address added or removed there is the VIP; IPv6 link-local addresses that appear
/// later are not). Each row says who holds the VIP after it; two holders at once are marked.
public enum CarpGroupTimeline {
    public struct Row: Sendable, Hashable {
        /// Nanoseconds since the playbook started.
        public var offset: Int64
        public var node: String
        public var event: String
        /// The nodes holding the VIP after this row, sorted.
        public var holders: [String]
    }

    public struct Group: Sendable, Hashable {
        public var name: String
        public var rows: [Row]
    }

    /// `G vhid N: VALUE` → (G, VALUE).
    static func split(_ detail: String) -> (group: String, value: String)? {
        guard let colon = detail.range(of: ": "), let vhid = detail.range(of: " vhid "),
            vhid.upperBound <= colon.lowerBound
        else { return nil }
        return (String(detail[..<vhid.lowerBound]), String(detail[colon.upperBound...]))
    }

    public static func groups(_ playbook: PlaybookRecord) -> [Group] {
        var order: [String] = []
        var members: [String: Set<String>] = [:]  // group → "host/interface"
        var first: [String: MonotonicInstant] = [:]
        for record in playbook.observations where record.kind == "carp_state" || record.kind == "carp_signal" {
            guard let (group, _) = split(record.detail) else { continue }
            if members[group] == nil { order.append(group) }
            members[group, default: []].insert("\(record.host)/\(record.interface)")
            first[group] = min(first[group] ?? record.time, record.time)
        }
        return order.map { group in
            var events: [(time: MonotonicInstant, node: String, event: String, vip: (added: Bool, node: String)?)] = []
            for record in playbook.observations {
                let place = "\(record.host)/\(record.interface)"
                switch record.kind {
                case "carp_state", "carp_signal":
                    guard let (name, value) = split(record.detail), name == group else { continue }
                    events.append((record.time, record.host, value, nil))
                case "address":
                    guard members[group]?.contains(place) == true, let start = first[group], record.time >= start,
                        !record.detail.contains(":")
                    else { continue }
                    if record.detail.hasPrefix("added ") {
                        events.append(
                            (record.time, record.host, "+VIP " + record.detail.dropFirst(6), (true, record.host)))
                    } else if record.detail.hasPrefix("removed ") {
                        events.append(
                            (record.time, record.host, "−VIP " + record.detail.dropFirst(8), (false, record.host)))
                    }
                default: continue
                }
            }
            let notFaults = ["expect", "hold ", "start_probe ", "stop_probe "]
            for step in playbook.steps where !notFaults.contains(where: { step.text.hasPrefix($0) }) {
                events.append((step.started, "", "step \(step.index + 1): \(step.text)", nil))
            }
            var holders: Set<String> = []
            let rows = events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map {
                let event = $0.element
                if let vip = event.vip {
                    if vip.added { holders.insert(vip.node) } else { holders.remove(vip.node) }
                }
                return Row(
                    offset: ReportText.span(from: playbook.started, to: event.time), node: event.node,
                    event: event.event, holders: holders.sorted())
            }
            return Group(name: group, rows: rows)
        }
    }

    /// The HTML of every group (nothing without CARP records).
    static func html(_ playbook: PlaybookRecord) -> [String] {
        var html: [String] = []
        for group in groups(playbook) {
            html.append("<h4>CARP group \(HTMLReport.esc(group.name)): ownership, states and faults</h4>")
            html.append("<table class=\"carp\">")
            html.append("<tr><th>time (ms)</th><th>node</th><th>event</th><th>VIP held by</th></tr>")
            for row in group.rows {
                let held = row.holders.isEmpty ? "nobody" : row.holders.joined(separator: ", ")
                let mark = row.holders.count > 1 ? "<b>\(HTMLReport.esc(held)) (two holders)</b>" : HTMLReport.esc(held)
                html.append(
                    "<tr><td class=\"num\">\(ReportText.millisecondsNumber(nanoseconds: row.offset))</td>"
                        + "<td class=\"mono\">\(HTMLReport.esc(row.node))</td><td>\(HTMLReport.esc(row.event))</td>"
                        + "<td>\(mark)</td></tr>")
            }
            html.append("</table>")
        }
        return html
    }
}
