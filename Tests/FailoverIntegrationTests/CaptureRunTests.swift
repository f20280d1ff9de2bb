import FailoverCapture
import FailoverModel
import Foundation
import Testing

/// `captures:` in a playbook, end to end with the built binary: the pcapng file, its interface
/// names and step comments, the figures in report.json, and the capture assertions.
@Suite(
    "captures in a playbook, end to end", .serialized,
    .enabled(if: IntegrationGate.enabled, "needs root and FAILOVER_INTEGRATION=1"))
struct CaptureRunTests {
    static let playbook = "Playbooks/host/capture-up-announce.yaml"

    @Test(
        "down/up of server/eth0: MLD report and DAD NS from its MAC, no GARP; the pcapng and the figures",
        .timeLimit(.minutes(2)))
    func upAnnounces() throws {
        let results = try FailoverBinary.scratch()
        let result = try FailoverBinary.run([
            "run", "--vm", "never", "--run-id", "0ca2f0", "--results", results, Self.playbook,
        ])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("1 passed, 0 failed, 0 errored, 0 skipped"))
        #expect(try HostSystem.namespaces(withRunID: "0ca2f0").isEmpty)
        let directory = results + "/latest/captures"
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(names == ["host-interface-up-announces-itself-on-the-wire.pcapng"])
        let bytes = try #require(FileManager.default.contents(atPath: directory + "/" + (names.first ?? "")))
        let file = try PcapngFile(bytes: Array(bytes))
        #expect(file.interfaces.map(\.name) == ["sw1:server-eth0"])
        let comments = file.packets.flatMap(\.comments)
        #expect(comments.contains("step 2: up server/eth0"), "\(comments)")
        #expect(file.packets.contains { FrameDecoder.decode($0.bytes)?.kind == .mldReport })
        let report = try #require(FileManager.default.contents(atPath: results + "/latest/report.json"))
        let text = String(decoding: report, as: UTF8.self)
        #expect(text.contains("\"droppedByKernel\" : 0") || text.contains("\"droppedByKernel\":0"))
        #expect(text.contains("\"label\" : \"sw1:server-eth0\"") || text.contains("\"label\":\"sw1:server-eth0\""))
    }

    @Test("a wrong src_mac fails (exit 1) and the message lists the MACs seen", .timeLimit(.minutes(2)))
    func wrongMAC() throws {
        let text = try String(contentsOfFile: FailoverBinary.repository + "/" + Self.playbook, encoding: .utf8)
        let wrong = text.replacing(
            "kind: mld_report, src_mac: {same_as: server/eth0}", with: "kind: mld_report, src_mac: 02:00:00:00:0e:99")
        #expect(wrong != text)
        let path = try temporaryHostPlaybook(wrong)
        let results = try FailoverBinary.scratch()
        let result = try FailoverBinary.run(["run", "--vm", "never", "--results", results, path])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("expected a mld_report from 02:00:00:00:0e:99 on sw1:server-eth0"))
        #expect(result.stdout.contains("mld_report from "))
    }
}
