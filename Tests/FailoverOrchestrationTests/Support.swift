import FailoverFamilies
import FailoverModel
import FailoverPlaybook
import Foundation

/// Playbooks for the orchestration tests, loaded from YAML like the real ones.
enum Sample {
    /// A playbook with a bond (needs the bonding driver).
    static func bond(_ file: String) throws -> Playbook {
        try PlaybookLoader.load(
            yaml: """
                name: bond \(file)
                topology:
                  switches: [sw]
                  hosts:
                    server:
                      cables: {eth0: sw, eth1: sw}
                      bonds:
                        bond0: {mode: active-backup, miimon: 100, slaves: [eth0, eth1], address: 198.18.0.1/24}
                steps:
                  - expect: {active_slave: {bond: server/bond0, is: eth0}}

                """, file: file
        ).playbook
    }

    /// A playbook without a bond (runs on any kernel).
    static func plain(_ file: String) throws -> Playbook {
        try PlaybookLoader.load(
            yaml: """
                name: plain \(file)
                topology:
                  switches: [sw]
                  hosts:
                    client:
                      cables: {eth0: sw}
                steps:
                  - expect: {carrier: {interface: client/eth0, is: up, within: 1s}}

                """, file: file
        ).playbook
    }

    static func record(_ playbook: Playbook, _ verdict: Verdict) -> PlaybookRecord {
        let instant = MonotonicInstant(nanoseconds: 1)
        return PlaybookRecord(
            name: playbook.name, file: playbook.file, seed: playbook.seed, verdict: verdict, message: nil,
            started: instant, ended: instant, timers: [], steps: [], assertions: [], observations: [])
    }

    static func scratch() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("failover-orch-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
