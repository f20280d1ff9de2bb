import FailoverNetlink
import Testing

@testable import FailoverProbe

@Suite("Witness capture file names")
struct WitnessFileNameTests {
    static let traversal = "x/" + String(repeating: "../", count: 20) + "tmp/newdir/deeper/f"

    @Test("ordinary names pass through unchanged")
    func ordinary() {
        #expect(
            ProbeEngine.witnessFileName(
                playbookFile: "Playbooks/seed-001/active-backup.yaml", probe: "p1", direction: "forward",
                runID: "3f2a1c") == "witness-active-backup-p1-forward-3f2a1c.pcap")
    }

    @Test(
        "hostile probe and playbook names give one safe path component",
        arguments: [
            (traversal, "../../etc/cron.d/x.yaml"), ("..", ".."), (".", "/"), ("a\u{0}b", "A B\nC.yaml"),
            ("$(reboot)", "Ünïcode Playbook.v2.yaml"), ("", ""),
        ])
    func hostile(probe: String, playbook: String) throws {
        let name = ProbeEngine.witnessFileName(
            playbookFile: playbook, probe: probe, direction: "reverse", runID: "00c0de")
        try SafeDirectory.validate(name)
        #expect(name.hasPrefix("witness-") && name.hasSuffix("-reverse-00c0de.pcap"), "\(name)")
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_-.%ABCDEF")
        #expect(name.allSatisfy { allowed.contains($0) }, "\(name)")
        #expect(!name.contains("/") && !name.contains(".."), "\(name)")
    }

    @Test("escaping keeps different probe names apart")
    func injective() {
        let names = ["a/b", "a%2Fb", "a_b", "A", "a"].map {
            ProbeEngine.witnessFileName(playbookFile: "x.yaml", probe: $0, direction: "forward", runID: "abcdef")
        }
        #expect(Set(names).count == names.count, "\(names)")
        #expect(names[0] == "witness-x-a%2Fb-forward-abcdef.pcap")
        #expect(names[3] == "witness-x-%41-forward-abcdef.pcap")
    }

    @Test("long names are cut with a hash: under NAME_MAX, still distinct; names just inside the limit are kept")
    func long() throws {
        let long = String(repeating: "a", count: 300)
        let other = String(repeating: "a", count: 299) + "b"
        let playbook = "/x/" + String(repeating: "p", count: 300) + ".yaml"
        let first = ProbeEngine.witnessFileName(
            playbookFile: playbook, probe: long, direction: "forward", runID: "abcdef")
        let second = ProbeEngine.witnessFileName(
            playbookFile: playbook, probe: other, direction: "forward", runID: "abcdef")
        try SafeDirectory.validate(first)
        #expect(first.utf8.count <= 255)
        #expect(first != second)
        #expect(first.contains("-h"))
        let inside = String(repeating: "a", count: 96)
        let kept = ProbeEngine.witnessFileName(
            playbookFile: "x.yaml", probe: inside, direction: "forward", runID: "abcdef")
        #expect(kept == "witness-x-\(inside)-forward-abcdef.pcap")
        let outside = ProbeEngine.witnessFileName(
            playbookFile: "x.yaml", probe: inside + "a", direction: "forward", runID: "abcdef")
        #expect(outside != "witness-x-\(inside)a-forward-abcdef.pcap" && outside.contains("-h"))
    }
}
