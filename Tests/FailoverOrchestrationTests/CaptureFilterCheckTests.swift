import FailoverFamilies
import FailoverModel
import FailoverOrchestration
import FailoverPlaybook
import Testing

/// A capture's BPF filter is compiled by libpcap when the playbook is loaded (no privileges,
/// nothing on the system): a filter libpcap rejects is an error at its `file:line:column`.
@Suite("Capture filters checked at load")
struct CaptureFilterCheckTests {
    static func playbook(filter: String) throws -> Playbook {
        try PlaybookLoader.load(
            yaml: """
                name: filters
                topology:
                  switches: [sw1]
                  hosts:
                    client:
                      cables: {eth0: sw1}
                captures:
                  - {name: ok, port: sw1/client-eth0, filter: arp}
                  - {name: checked, interface: client/eth0, filter: "\(filter)"}
                steps:
                  - hold: 10ms

                """, file: "f.yaml", registry: StandardFamilies.decoding
        ).playbook
    }

    @Test("a filter libpcap compiles gives no diagnostic (just inside)")
    func compiles() throws {
        #expect(CaptureFilterCheck.diagnostics(for: try Self.playbook(filter: "arp or icmp6")).isEmpty)
        #expect(CaptureFilterCheck.diagnostics(for: try Self.playbook(filter: "ether proto 0x8809")).isEmpty)
    }

    @Test("a filter libpcap rejects is an error at the filter's line:column with libpcap's message")
    func rejected() throws {
        let found = CaptureFilterCheck.diagnostics(for: try Self.playbook(filter: "arp or"))
        #expect(found.count == 1)
        let text = found.first?.description ?? ""
        #expect(found.first?.severity == .error)
        #expect(text.hasPrefix("f.yaml:9:53: error: captures[1].filter: "), "\(text)")
        #expect(text.contains("the BPF filter \"arp or\": ") && text.hasSuffix("syntax error"), "\(text)")
        // A protocol libpcap does not know: its own message, not ours.
        let unknown = CaptureFilterCheck.diagnostics(for: try Self.playbook(filter: "udp port nosuchservice"))
        #expect(unknown.first?.description.contains("nosuchservice") == true, "\(unknown)")
    }

    @Test("captures: auto builds a filter from the probes' ports that libpcap compiles")
    func autoFilter() throws {
        let playbook = try PlaybookLoader.load(
            yaml: """
                name: auto
                topology:
                  switches: [sw1]
                  hosts:
                    client:
                      cables: {eth0: sw1}
                    server:
                      cables: {eth0: sw1}
                probes:
                  - {name: p, from: client, to: server, port: 4242}
                captures: auto
                steps:
                  - hold: 10ms

                """, file: "a.yaml", registry: StandardFamilies.decoding
        ).playbook
        #expect(playbook.captures.first?.filter != nil)
        #expect(CaptureFilterCheck.diagnostics(for: playbook).isEmpty)
    }
}
