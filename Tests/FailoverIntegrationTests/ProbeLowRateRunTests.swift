import FailoverCore
import FailoverFamilies
import FailoverLinux
import FailoverModel
import FailoverPlaybook
import FailoverProbe
import Foundation
import Logging
import Testing

/// Issue 8, points 2 and 3 on the host kernel: a mid-run probe check at 10 pps sees the packets, and
/// a window the probe did not send across is unmeasured (its assertion errored, not passed).
@Suite(.serialized, .enabled(if: IntegrationGate.enabled, "needs root and FAILOVER_INTEGRATION=1"))
struct ProbeLowRateRunTests {
    static func run(_ playbook: Playbook) async -> PlaybookRecord {
        let names = RunNames.random()
        let logger = Logger(label: "probe-low-rate-test")
        let engine = ProbeEngine(playbook: playbook, names: names, logger: logger)
        let runner = PlaybookRunner(
            backend: NamespaceBackend(logger: logger), probes: engine, clock: LinuxMonotonicClock(), logger: logger)
        return await runner.run(playbook, names: names)
    }

    @Test("10 pps, pull, 2 s: the mid-run loss check sees ~20 lost packets, and the summary agrees")
    func lowRateMidRun() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = root.appendingPathComponent("Playbooks/host/probe-low-rate-mid-run.yaml").path
        let playbook = try PlaybookLoader.load(contentsOf: path).playbook
        let record = await Self.run(playbook)
        #expect(record.verdict == .passed, "\(record.message ?? "") \(record.assertions.map(\.actual))")
        let assertion = try #require(record.assertions.first)
        // "N lost of M": 2 s at 10 pps after the pull = 20 packets, the last one possibly in flight.
        let numbers = assertion.actual.split(separator: " ").compactMap { Int($0) }
        #expect(numbers.count == 2, "\(assertion.actual)")
        let lost = numbers.first ?? 0
        let sent = numbers.last ?? 0
        #expect(lost >= 19 && lost <= 21, "\(assertion.actual)")
        #expect(sent == lost, "\(assertion.actual)")
        // The end-of-run figures agree with the verdict: the window kept losing until the probe
        // stopped, so it holds at least what the check saw, and at most a few more.
        let probe = try #require(record.probes.first)
        let window = try #require(probe.windows.first { $0.kind == "failover" })
        #expect(window.measured == true)
        #expect(window.lost >= lost && window.lost <= lost + 3, "window \(window.lost), check \(lost)")
        #expect(!window.recovered)
        #expect(probe.lostBeforeFirstFault == 0)
    }

    @Test("start: manual after the pull: the pull's window is unmeasured and its check errored")
    func manualStartAfterFault() async throws {
        let yaml = """
            name: probe started after the fault
            topology:
              switches: [sw1]
              hosts:
                client:
                  cables: {eth0: sw1}
                  address: {eth0: 198.18.0.2/24}
                server:
                  cables: {eth0: sw1}
                  address: {eth0: 198.18.0.1/24}
            probes:
              - {name: p1, from: client, to: server, rate: 100, size: 64, direction: forward, start: manual}
            steps:
              - pull: server/eth0
              - hold: 100ms
              - start_probe: p1
              - hold: 400ms
              - expect: {loss: {probe: p1, at_most: 1000, scope: last_fault}}
            """
        let playbook = try PlaybookLoader.load(yaml: yaml, file: "manual-after-fault.yaml").playbook
        let record = await Self.run(playbook)
        // Before: "0 lost of 0"-style figures passed. Now nothing was measured in that window.
        #expect(record.verdict == .errored, "\(record.message ?? "") \(record.assertions.map(\.actual))")
        let assertion = try #require(record.assertions.first)
        #expect(assertion.verdict == .errored)
        let probe = try #require(record.probes.first)
        let window = try #require(probe.windows.first)
        #expect(window.measured == false)
        #expect(window.unmeasuredReason?.hasPrefix("not started") == true, "\(window.unmeasuredReason ?? "nil")")
    }
}
