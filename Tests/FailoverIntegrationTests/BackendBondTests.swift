import FailoverCore
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
        do {
            try await backend.build(backendBondPlaybook(), names: names, log: log)
            let initial = try await backend.state(of: bond)
            #expect(initial.bond?.mode == .activeBackup)
            #expect(initial.bond?.activeSlave == "eth0")
            #expect(initial.bond?.miimon == 10)
            #expect(initial.mac == MACAddress("02:00:00:00:0b:01"))
            let slave = try await backend.state(of: eth0)
            #expect(slave.slave?.master == "bond0" && slave.slave?.miiStatus == .up && slave.slave?.state == "active")

            let count = log.count
            let ack = try await backend.perform(.pull(eth0))
            let change = try await backendWaitForRecord(log, after: count) {
                $0.host == "server" && $0.interface == "bond0" && $0.kind == "active_slave" && $0.detail == "eth1"
            }
            print("failover: ack→active_slave eth1 \(change.time.duration(since: ack))")
            let pulled = try await backend.state(of: eth0)  // cross-checked with /proc/net/bonding
            #expect(pulled.slave?.miiStatus == .down)
            #expect(pulled.slave?.linkFailureCount == 1)
            #expect(try await backend.state(of: bond).bond?.activeSlave == "eth1")

            let countPlug = log.count
            _ = try await backend.perform(.plug(eth0))
            _ = try await backendWaitForRecord(log, after: countPlug) {
                $0.host == "server" && $0.interface == "bond0" && $0.kind == "active_slave" && $0.detail == "eth0"
            }
            _ = try await backend.perform(.set(bond: bond, option: "primary_reselect", value: "failure"))
            _ = try await backend.perform(.set(bond: bond, option: "active_slave", value: "eth1"))
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
}
