import FailoverFamilies
import FailoverModel
import FailoverPlaybook
import Foundation
import Testing

@Suite("Every playbook under Playbooks/ loads")
struct PlaybookDirectoryTests {
    static let files = Fixtures.files(in: Fixtures.playbooks, extension: "yaml").map {
        String($0.path.dropFirst(Fixtures.repository.path.count + 1))
    }

    @Test("the standard playbooks exist")
    func expectedFiles() {
        let required = [
            "Playbooks/seed-001/seed-001-active-backup.yaml", "Playbooks/seed-001/seed-001-primary-always.yaml",
            "Playbooks/seed-001/seed-001-primary-failure.yaml", "Playbooks/seed-001/seed-001-grey-mii.yaml",
            "Playbooks/seed-001/seed-001-grey-arp.yaml", "Playbooks/host/carrier-pull.yaml",
            "Playbooks/wrong/expect-no-failover.yaml",
        ]
        for file in required { #expect(Self.files.contains(file), "missing \(file)") }
        #expect(Self.files.contains("Playbooks/seed-001/modes/modes.yaml"))
    }

    @Test("loads without errors or warnings", arguments: files)
    func loads(file: String) throws {
        let instances = try PlaybookLoader.loadInstances(
            contentsOf: Fixtures.repository.appendingPathComponent(file).path)
        #expect(!instances.isEmpty)
        for loaded in instances {
            #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
            #expect(!loaded.playbook.steps.isEmpty)
            #expect(loaded.playbook.steps.allSatisfy { $0.location != nil })
        }
    }

    /// The seven former `mode-*.yaml` files are one matrix playbook: one instance per mode, in
    /// the kernel's order, each building and checking a bond of its own mode.
    @Test("the mode playbook has one instance per bond mode, each of its mode")
    func modes() throws {
        let path = Fixtures.playbooks.appendingPathComponent("seed-001/modes/modes.yaml").path
        let instances = try PlaybookLoader.loadInstances(contentsOf: path).map(\.playbook)
        #expect(
            instances.map(\.parameters) == BondMode.allCases.map { [MatrixParameter(name: "mode", value: $0.rawValue)] }
        )
        for (playbook, mode) in zip(instances, BondMode.allCases) {
            #expect(playbook.name == "bond mode \(mode.rawValue) comes up [mode=\(mode.rawValue)]")
            #expect(playbook.topology.bond(at: InterfaceRef(host: "server", interface: "bond0"))?.mode == mode)
            guard case .expect(let expectations) = playbook.steps.last?.action else {
                Issue.record("the last step is not an expect")
                continue
            }
            #expect(
                expectations.map(\.assertion) == [
                    .bondMode(InterfaceRef(host: "server", interface: "bond0"), expected: mode)
                ])
            #expect(playbook.seed == "001 — modes: the bond can be built in mode \(mode.rawValue)")
        }
    }

    @Test("a missing file is one error at file:1:1")
    func missingFile() {
        #expect {
            try PlaybookLoader.load(contentsOf: "/nonexistent/x.yaml")
        } throws: { error in
            guard let error = error as? PlaybookError, error.diagnostics.count == 1 else { return false }
            return error.description.hasPrefix("/nonexistent/x.yaml:1:1: error: cannot read playbook")
        }
    }
}
