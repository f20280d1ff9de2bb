import FailoverCore
import FailoverFamilies
import FailoverLinux
import FailoverModel
import FailoverPlaybook
import FailoverProbe
import Foundation
import Logging
import Testing

/// The `neighbour` assertion against the host kernel's neighbour tables: a probe from the client
/// makes it resolve the server's address (ARP), and the entry is read with RTM_GETNEIGH.
@Suite(.serialized, .enabled(if: IntegrationGate.enabled, "needs root and FAILOVER_INTEGRATION=1"))
struct NeighbourTests {
    @Test(
        "the client's entry for the server: right MAC passes, a wrong MAC and an unknown IP fail, naming what was seen")
    func neighbourTable() async throws {
        let yaml = """
            name: neighbour table
            topology:
              switches: [sw1]
              hosts:
                client:
                  cables: {eth0: sw1}
                  address: {eth0: 198.18.0.2/24}
                server:
                  cables: {eth0: {to: sw1, mac: 02:00:00:00:0a:01}}
                  address: {eth0: 198.18.0.1/24}
            probes:
              - {name: p1, from: client, to: server, rate: 100, size: 64, direction: forward}
            steps:
              - expect: {neighbour: {host: client, ip: 198.18.0.1, mac: {same_as: server/eth0}, state: [reachable, stale, delay, probe], within: 2s}}
              - expect: {neighbour: {host: client, ip: 198.18.0.1, mac: 02:00:00:00:0a:01, state: reachable}}
              - expect:
                  - {fdb: {switch: sw1, mac: 02:00:00:00:0a:01, port: server/eth0, within: 1s}}
                  - {fdb: {switch: sw1, mac: {same_as: client/eth0}, port: client/eth0, within: 1s}}
            """
        // A failed expect ends the run: each failing case is the last step of its own run.
        let passing = try await Self.run(yaml)
        #expect(
            passing.assertions.map(\.verdict) == [.passed, .passed, .passed, .passed],
            "\(passing.assertions.map(\.actual))")
        #expect(passing.assertions.first?.actual.contains("198.18.0.1 dev eth0 lladdr 02:00:00:00:0a:01") == true)

        let wrongMAC = try await Self.run(
            yaml + "\n  - expect: {neighbour: {host: client, ip: 198.18.0.1, mac: 02:00:00:00:0a:02, within: 200ms}}")
        let wrong = try #require(wrongMAC.assertions.last)
        #expect(wrong.verdict == .failed)
        // The message names the entry the kernel holds and the MAC that was wanted.
        #expect(
            wrong.actual.contains("lladdr 02:00:00:00:0a:01")
                && wrong.actual.contains("wanted lladdr 02:00:00:00:0a:02"))

        // The switch learned the server's MAC on the server's port, not the client's: the message says where.
        let wrongPort = try await Self.run(
            yaml + "\n  - expect: {fdb: {switch: sw1, mac: 02:00:00:00:0a:01, port: client/eth0, within: 200ms}}")
        let port = try #require(wrongPort.assertions.last)
        #expect(port.verdict == .failed && port.actual.contains("(wanted on client-eth0)"), "\(port.actual)")

        let unknownIP = try await Self.run(
            yaml + "\n  - expect: {neighbour: {host: client, ip: 198.18.0.77, within: 200ms}}")
        let missing = try #require(unknownIP.assertions.last)
        #expect(missing.verdict == .failed && missing.actual == "no entry", "\(missing.actual)")
    }

    static func run(_ yaml: String) async throws -> PlaybookRecord {
        let playbook = try PlaybookLoader.load(yaml: yaml, file: "neighbour.yaml").playbook
        let names = RunNames.random()
        let logger = Logger(label: "neighbour-test")
        let runner = PlaybookRunner(
            backend: NamespaceBackend(logger: logger),
            probes: ProbeEngine(playbook: playbook, names: names, logger: logger),
            clock: LinuxMonotonicClock(), logger: logger)
        return await runner.run(playbook, names: names)
    }
}
