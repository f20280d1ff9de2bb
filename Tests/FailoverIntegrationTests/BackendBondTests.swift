import FailoverCore
import FailoverFamilies
import FailoverLinux
import FailoverModel
import FailoverNetlink
import Foundation
import Logging
import Testing

/// Bonds need the bonding driver: these run only where a bond can be created (the kernel-lab
/// VM; the host kernel here has none), e.g.
/// `scripts/vm-run.sh --rw DIR -- <test binary> --testing-library swift-testing --filter BackendBondTests`.
enum BackendBondGate {
    static let enabled: Bool =
        IntegrationGate.enabled && KernelProbe.capabilities(logger: Logger(label: "probe")).hasBonding
}

func backendBondPlaybook() -> Playbook {
    var options = BondOptions()
    options.miimon = 10
    options.updelay = 25  // kernel rounds down to 20 (a multiple of miimon)
    options.downdelay = 0
    options.primary = "eth0"
    options.primaryReselect = .always
    options.failOverMAC = FailOverMAC.none
    options.numPeerNotif = 2
    options.peerNotifDelay = 10
    options.arpMissedMax = 2
    options.slavePrio = ["eth0": 10, "eth1": 5]
    let bond = Bond(
        name: "bond0", mode: .activeBackup, slaves: ["eth0", "eth1"], options: options,
        mac: MACAddress("02:00:00:00:0b:01"))
    return Playbook(
        name: "bond-test",
        topology: Topology(
            switches: [Switch(name: "sw1"), Switch(name: "sw2")],
            hosts: [
                Host(
                    name: "server", interfaces: ["eth0", "eth1"], bonds: [bond],
                    addresses: [
                        InterfaceAddresses(interface: "bond0", addresses: [InterfaceAddress("198.18.0.1/24")!])
                    ]),
                Host(
                    name: "client", interfaces: ["eth0"],
                    addresses: [InterfaceAddresses(interface: "eth0", addresses: [InterfaceAddress("198.18.0.2/24")!])]),
            ],
            cables: [
                Cable(a: InterfaceRef(host: "server", interface: "eth0"), b: .switch("sw1")),
                Cable(a: InterfaceRef(host: "server", interface: "eth1"), b: .switch("sw2")),
                Cable(a: InterfaceRef(host: "client", interface: "eth0"), b: .switch("sw1")),
            ]),
        steps: [], file: "test")
}

@Suite(.serialized, .enabled(if: BackendBondGate.enabled, "needs root, FAILOVER_INTEGRATION=1 and kernel bonding"))
struct BackendBondTests {
    @Test("active-backup bond: options read back, failover on pull, failback to primary, active_slave set")
    func activeBackup() async throws {
        let backend = NamespaceBackend(logger: Logger(label: "test.bond"))
        let log = ObservationLog()
        let names = RunNames.random()
        let bond = InterfaceRef(host: "server", interface: "bond0")
        let eth0 = InterfaceRef(host: "server", interface: "eth0")
        let playbook = backendBondPlaybook()
        do {
            try await backend.build(playbook, names: names, log: log)
            let initial = try await backend.state(of: bond)
            #expect(initial.bond?.mode == .activeBackup)
            #expect(initial.bond?.activeSlave == "eth0")
            #expect(initial.bond?.miimon == 10)
            #expect(initial.mac == MACAddress("02:00:00:00:0b:01"))
            let slave = try await backend.state(of: eth0)
            #expect(slave.slave?.master == "bond0" && slave.slave?.miiStatus == .up && slave.slave?.state == "active")

            let count = log.count
            let ack = try await backend.perform(.pull(eth0), in: playbook, names: names)
            let change = try await backendWaitForRecord(log, after: count) {
                $0.host == "server" && $0.interface == "bond0" && $0.kind == "active_slave" && $0.detail == "eth1"
            }
            print("failover: ack→active_slave eth1 \(change.time.duration(since: ack))")
            let pulled = try await backend.state(of: eth0)  // cross-checked with /proc/net/bonding
            #expect(pulled.slave?.miiStatus == .down)
            #expect(pulled.slave?.linkFailureCount == 1)
            #expect(try await backend.state(of: bond).bond?.activeSlave == "eth1")

            let countPlug = log.count
            _ = try await backend.perform(.plug(eth0), in: playbook, names: names)
            _ = try await backendWaitForRecord(log, after: countPlug) {
                $0.host == "server" && $0.interface == "bond0" && $0.kind == "active_slave" && $0.detail == "eth0"
            }
            _ = try await backend.perform(
                .set(bond: bond, option: "primary_reselect", value: "failure"), in: playbook, names: names)
            _ = try await backend.perform(
                .set(bond: bond, option: "active_slave", value: "eth1"), in: playbook, names: names)
            #expect(try await backend.state(of: bond).bond?.activeSlave == "eth1")
            print(
                "observations: \(log.records.filter { $0.host == "server" }.map { "\($0.interface) \($0.kind): \($0.detail)" })"
            )
        } catch {
            _ = await backend.teardown()
            throw error
        }
        #expect(await backend.teardown().isEmpty)
        #expect(NetworkNamespace.list().allSatisfy { !$0.hasPrefix(names.namespace("")) })
    }

    @Test("delays that are not multiples of miimon pass read-back: compared after the kernel's rounding down")
    func readBackRounding() async throws {
        var playbook = backendBondPlaybook()
        // miimon 10: updelay 25 reads back 20, downdelay 15 reads back 10, peer_notif_delay 10 stays.
        // Without the rounding rule the build would throw "option downdelay: asked 15, kernel reports 10".
        playbook.topology.hosts[0].bonds[0].options.downdelay = 15
        let backend = NamespaceBackend(logger: Logger(label: "test.bond"))
        do {
            try await backend.build(playbook, names: RunNames.random(), log: ObservationLog())
        } catch {
            Issue.record("build failed: \(error)")
        }
        #expect(await backend.teardown().isEmpty)
    }
    /// Run-time `set` on a real bonding driver, through the runner: read-back after the kernel's
    /// rounding, and refusals checked with expect_error. Expected errnos are those of
    /// drivers/net/bonding/bond_options.c: `mode` on a bond with slaves → ENOTEMPTY
    /// (BOND_OPTFLAG_NOSLAVES), `updelay` with miimon 0 → EPERM ("MII monitoring is disabled"),
    /// `active_slave` naming a slave whose link is down → EINVAL.
    @Test("runtime set: read-back after rounding, option assertion, refusals with errno and the kernel's text")
    func runtimeSet() async throws {
        var playbook = backendBondPlaybook()
        var options = BondOptions()
        options.miimon = 100
        options.primary = "eth0"
        playbook.topology.hosts[0].bonds[0].options = options
        let bond = InterfaceRef(host: "server", interface: "bond0")
        let eth1 = InterfaceRef(host: "server", interface: "eth1")
        playbook.steps = [
            // bonding.rst: updelay is rounded down to a multiple of miimon.
            .set(bond: bond, option: "updelay", value: "250"),
            .expect([Expectation(.option(bond: bond, name: "updelay", expected: "200"))]),
            .set(bond: bond, option: "mode", value: "balance-rr", expectError: "ENOTEMPTY"),
            // Accepted (miimon is 100): an expected refusal that does not come fails.
            .set(bond: bond, option: "updelay", value: "300", expectError: "EPERM"),
            .pull(eth1),
            .expect([Expectation(.miiStatus(eth1, expected: .down), wait: .within(.seconds(1)))]),
            .set(bond: bond, option: "active_slave", value: "eth1", expectError: "EINVAL"),
            .set(bond: bond, option: "miimon", value: "0"),
            .set(bond: bond, option: "updelay", value: "200", expectError: "EPERM"),
            .expect([Expectation(.option(bond: bond, name: "miimon", expected: "0"))]),
        ].map { Step($0) }
        let backend = NamespaceBackend(logger: Logger(label: "test.bond"))
        let runner = PlaybookRunner(backend: backend, clock: LinuxMonotonicClock(), logger: Logger(label: "test.set"))
        let record = await runner.run(playbook, names: RunNames.random())
        for assertion in record.assertions {
            print("step \(assertion.stepIndex + 1) \(assertion.verdict): \(assertion.description): \(assertion.actual)")
        }
        #expect(record.message == nil)
        #expect(record.steps.first?.readBack == "200")
        #expect(
            record.steps.map(\.verdict) == [
                .passed, .passed, .passed, .failed, .passed, .passed, .passed, .passed, .passed, .passed,
            ])
        let verdicts = record.assertions.map { ($0.stepIndex, $0.verdict) }
        #expect(verdicts.map(\.0) == [1, 2, 3, 5, 6, 8, 9])
        #expect(verdicts.map(\.1) == [.passed, .passed, .failed, .passed, .passed, .passed, .passed])
        let byStep = Dictionary(record.assertions.map { ($0.stepIndex, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byStep[3]?.actual == "accepted by the kernel (updelay reads back 300)")
        #expect(byStep[2]?.actual.hasPrefix("ENOTEMPTY (") == true)
        // Linux 5.19+ answers with an extended ack (bond_opt_error_interpret).
        #expect(
            byStep[2]?.actual.contains("the kernel says \"unable to set option because the bond device has slaves\"")
                == true)
        #expect(byStep[6]?.actual.contains("likely: link down: eth1's MII status is down") == true)
        #expect(byStep[8]?.actual.contains("likely: MII monitoring is disabled (miimon 0)") == true)
        #expect(record.verdict == .failed)
    }
}
