import FailoverModel
import Testing

@testable import FailoverReport

/// One timeline per CARP group in the HTML report: ownership per node, state lines, faults.
@Suite("CARP group timelines in the HTML report")
struct CarpGroupTimelineTests {
    static func record(_ ms: UInt64, _ host: String, _ interface: String, _ kind: String, _ detail: String)
        -> ObservationRecord
    {
        ObservationRecord(
            time: MonotonicInstant(nanoseconds: 1_000_000_000 + ms * 1_000_000), host: host, interface: interface,
            kind: kind, detail: detail)
    }

    static let playbook: PlaybookRecord = {
        let start = MonotonicInstant(nanoseconds: 1_000_000_000)
        let step = StepRecord(
            index: 1, text: "kill_peer outside/r1", location: nil,
            started: MonotonicInstant(nanoseconds: 10_000_000_000),
            ended: MonotonicInstant(nanoseconds: 10_000_000_000), acknowledged: nil, verdict: .passed, message: nil)
        let other = StepRecord(
            index: 2, text: "hold 1s", location: nil, started: MonotonicInstant(nanoseconds: 12_000_000_000),
            ended: MonotonicInstant(nanoseconds: 12_000_000_000), acknowledged: nil, verdict: .passed, message: nil)
        return PlaybookRecord(
            name: "p", file: "p.yaml", seed: "004", verdict: .passed, message: nil, started: start,
            ended: MonotonicInstant(nanoseconds: 20_000_000_000), timers: [], steps: [step, other], assertions: [],
            observations: [
                // Before the peers run: r1's own address, not the VIP.
                record(5, "r1", "eth0", "address", "added 198.18.0.11/24"),
                record(40, "r1", "eth0", "carp_state", "outside vhid 1: BACKUP"),
                record(70, "r2", "eth0", "carp_state", "outside vhid 1: BACKUP"),
                record(3000, "r1", "eth0", "carp_state", "outside vhid 1: MASTER"),
                record(3002, "r1", "eth0", "address", "added 198.18.0.1/24"),
                // Another interface of r1 (another group's or none): not this group's.
                record(3003, "r1", "eth1", "address", "added 198.19.0.1/24"),
                // An IPv6 link-local address appearing on the member's interface: not the VIP.
                record(3004, "r2", "eth0", "address", "added fe80::1/64"),
                record(9001, "r1", "eth0", "carp_signal", "outside vhid 1: SIGKILL"),
                record(13170, "r2", "eth0", "carp_state", "outside vhid 1: MASTER"),
                record(13172, "r2", "eth0", "address", "added 198.18.0.1/24"),
            ])
    }()

    @Test(
        "rows in time order with the holders after each; own addresses, IPv6, other interfaces and waits left out")
    func rows() throws {
        let groups = CarpGroupTimeline.groups(Self.playbook)
        #expect(groups.map(\.name) == ["outside"])
        let rows = try #require(groups.first).rows
        #expect(
            rows.map(\.event) == [
                "BACKUP", "BACKUP", "MASTER", "+VIP 198.18.0.1/24", "step 2: kill_peer outside/r1", "SIGKILL", "MASTER",
                "+VIP 198.18.0.1/24",
            ])
        #expect(rows.map(\.node) == ["r1", "r2", "r1", "r1", "", "r1", "r2", "r2"])
        #expect(rows[3].offset == 3_002_000_000)
        #expect(rows[2].holders == [])
        #expect(rows[3].holders == ["r1"])
        #expect(rows.last?.holders == ["r1", "r2"])
        let html = CarpGroupTimeline.html(Self.playbook).joined(separator: "\n")
        #expect(html.contains("<h4>CARP group outside: ownership, states and faults</h4>"))
        #expect(html.contains("<b>r1, r2 (two holders)</b>"))
        #expect(!html.contains("198.19.0.1") && !html.contains("198.18.0.11") && !html.contains("fe80"))
        #expect(!html.contains("hold 1s"))
        #expect(HTMLReport.render([]).contains("CARP group") == false)
    }
}
