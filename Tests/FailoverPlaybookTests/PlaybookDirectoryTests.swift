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
        #expect(Self.files.filter { $0.hasPrefix("Playbooks/seed-001/modes/mode-") }.count == BondMode.allCases.count)
    }

    @Test("loads without errors or warnings", arguments: files)
    func loads(file: String) throws {
        let loaded = try PlaybookLoader.load(contentsOf: Fixtures.repository.appendingPathComponent(file).path)
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
        #expect(!loaded.playbook.steps.isEmpty)
        #expect(loaded.playbook.steps.allSatisfy { $0.location != nil })
    }

    @Test("each mode playbook builds a bond of its mode", arguments: BondMode.allCases)
    func modes(mode: BondMode) throws {
        let path = Fixtures.playbooks.appendingPathComponent("seed-001/modes/mode-\(mode.rawValue).yaml").path
        let playbook = try PlaybookLoader.load(contentsOf: path).playbook
        #expect(playbook.topology.bond(at: InterfaceRef(host: "server", interface: "bond0"))?.mode == mode)
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
