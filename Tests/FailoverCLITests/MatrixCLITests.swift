import Foundation
import Testing

/// `validate` and `plan` on a `matrix:` playbook.
@Suite("failover CLI: matrix playbooks")
struct MatrixCLITests {
    static let template = """
        matrix:
          mode: [active-backup, MODE2]
        name: m ${mode}
        topology:
          switches: [sw1]
          hosts:
            server:
              cables: {eth0: sw1, eth1: sw1}
              bonds:
                bond0: {mode: "${mode}", miimon: 100, slaves: [eth0, eth1]}
        steps:
          - expect: {bond_mode: {bond: server/bond0, is: "${mode}"}}
        """

    @Test("validate counts instances; plan prints every instance")
    func valid() throws {
        let path = try temporaryPlaybook(
            "matrix.yaml", Self.template.replacingOccurrences(of: "MODE2", with: "balance-rr"))
        defer { removeTemporaryPlaybook(path) }
        let validated = try CLI.run(["validate", path])
        #expect(validated.status == 0, "\(validated.stderr)")
        #expect(validated.stdout == "2 playbooks valid\n")
        let plan = try CLI.run(["plan", path])
        #expect(plan.status == 0, "\(plan.stderr)")
        let titles = plan.stdout.split(separator: "\n").filter { $0.hasPrefix("# failover plan: ") }
        #expect(
            titles == [
                "# failover plan: m active-backup [mode=active-backup]",
                "# failover plan: m balance-rr [mode=balance-rr]",
            ])
        #expect(plan.stdout.contains("mode active-backup"))
        #expect(plan.stdout.contains("mode balance-rr"))
    }

    @Test("an error of one instance: exit 65, at the template's line:column, naming the instance")
    func invalidInstance() throws {
        let path = try temporaryPlaybook("matrix.yaml", Self.template.replacingOccurrences(of: "MODE2", with: "bogus"))
        defer { removeTemporaryPlaybook(path) }
        let result = try CLI.run(["validate", path])
        #expect(result.status == 65)
        let errors = result.stderr.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(errors.count == 2, "\(result.stderr)")
        #expect(
            errors.first?.hasPrefix(
                "\(path):10:23: error: [mode=bogus] topology.hosts.server.bonds.bond0.mode: unknown value 'bogus'")
                == true, "\(result.stderr)")
        #expect(
            errors.last?.hasPrefix("\(path):12:50: error: [mode=bogus] steps[0].expect.bond_mode.is: unknown bond mode")
                == true, "\(result.stderr)")
        #expect(!result.stderr.contains("[mode=active-backup]"), "\(result.stderr)")
    }
}
