import FailoverFamilies
import FailoverModel
import FailoverPlaybook
import Foundation
import Testing

/// `matrix:` playbooks: expansion order and names, substitution, and every error case, with
/// diagnostics at the template's line:column naming the instance.
@Suite("Parameterised playbooks (matrix)")
struct MatrixTests {
    /// A bond playbook whose mode and miimon come from `matrix` (line numbers matter below).
    static func template(_ matrix: String, mode: String = "\"${mode}\"", name: String = "t ${mode}") -> String {
        """
        matrix:
        \(matrix)
        name: \(name)
        topology:
          switches: [sw1]
          hosts:
            server:
              cables: {eth0: sw1, eth1: sw1}
              bonds:
                bond0: {mode: \(mode), miimon: 100, slaves: [eth0, eth1]}
        steps:
          - hold: 1ms
        """
    }

    static func problems(_ yaml: String) -> [String] {
        do {
            _ = try PlaybookLoader.loadInstances(yaml: yaml, file: "m.yaml")
            return []
        } catch let error as PlaybookError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test("cartesian product in written order; names and parameters carry the values")
    func expansionOrder() throws {
        let yaml = """
            matrix:
              mode: [active-backup, balance-rr]
              delay: [0, 200, 400]
            name: t ${mode} $HOME
            topology:
              switches: [sw1]
              hosts:
                server:
                  cables: {eth0: sw1, eth1: sw1}
                  bonds:
                    bond0: {mode: "${mode}", miimon: 100, updelay: "${delay}", slaves: [eth0, eth1]}
            steps:
              - hold: 1ms
            """
        let instances = try PlaybookLoader.loadInstances(yaml: yaml, file: "m.yaml").map(\.playbook)
        let expected = ["active-backup", "balance-rr"].flatMap { mode in ["0", "200", "400"].map { (mode, $0) } }
        #expect(instances.count == 6)
        for (playbook, (mode, delay)) in zip(instances, expected) {
            // `$HOME` is no `${…}`: kept as written.
            #expect(playbook.name == "t \(mode) $HOME [mode=\(mode), delay=\(delay)]")
            #expect(
                playbook.parameters == [
                    MatrixParameter(name: "mode", value: mode), MatrixParameter(name: "delay", value: delay),
                ])
            let bond = try #require(playbook.topology.bond(at: InterfaceRef(host: "server", interface: "bond0")))
            #expect(bond.mode.rawValue == mode)
            #expect(bond.options.updelay == Int(delay))
            // Marks are the template's.
            #expect(bond.marks["option:updelay"]?.location.line == 11)
        }
        #expect(Set(instances.map(\.name)).count == 6)
    }

    @Test("a playbook without matrix is one instance without parameters")
    func plain() throws {
        let yaml = Self.template("  mode: [active-backup]").replacingOccurrences(
            of: "matrix:\n  mode: [active-backup]\n", with: ""
        )
        .replacingOccurrences(of: "\"${mode}\"", with: "active-backup").replacingOccurrences(of: "${mode}", with: "x")
        let instances = try PlaybookLoader.loadInstances(yaml: yaml, file: "m.yaml")
        #expect(instances.count == 1)
        #expect(instances.first?.playbook.name == "t x")
        #expect(instances.first?.playbook.parameters == [])
    }

    @Test("a diagnostic of one instance points at the template and names the instance")
    func instanceDiagnostic() {
        #expect(
            Self.problems(Self.template("  mode: [active-backup, bogus]")) == [
                "m.yaml:10:23: error: [mode=bogus] topology.hosts.server.bonds.bond0.mode: unknown value 'bogus'; "
                    + "expected one of \(BondMode.spellings)"
            ])
    }

    @Test("load(yaml:) refuses a matrix of several instances; one instance is fine")
    func single() throws {
        #expect(throws: PlaybookError.self) {
            try PlaybookLoader.load(yaml: Self.template("  mode: [active-backup, balance-rr]"), file: "m.yaml")
        }
        let one = try PlaybookLoader.load(yaml: Self.template("  mode: [active-backup]"), file: "m.yaml")
        #expect(one.playbook.name == "t active-backup [mode=active-backup]")
    }

    @Test(
        "each error case is reported at its place",
        arguments: [
            (
                "  mode: [active-backup]\n  other: [x]",
                "m.yaml:3:3: error: matrix.other: the parameter is never used as ${other} in the playbook"
            ),
            ("  mode: []", "m.yaml:2:9: error: matrix.mode: the list of values is empty; give at least one"),
            (
                "  mode: active-backup",
                "m.yaml:2:9: error: matrix.mode: expected a non-empty list of values, found 'active-backup'"
            ),
            ("  mode: [{a: 1}]", "m.yaml:2:10: error: matrix.mode[0]: expected a value (a scalar), found a mapping"),
            ("  mode: [~]", "m.yaml:2:10: error: matrix.mode[0]: expected a value (a scalar), found nothing"),
            ("  mode: [x, x]", "m.yaml:2:13: error: matrix.mode[1]: 'x' is listed twice"),
            ("  Mode: [x]", "m.yaml:2:3: error: matrix.Mode: parameter name 'Mode' must match [a-z_][a-z0-9_]*"),
        ] as [(String, String)])
    func errors(matrix: String, expected: String) {
        #expect(Self.problems(Self.template(matrix)).contains(expected), "\(Self.problems(Self.template(matrix)))")
    }

    @Test("references: unknown parameter, unclosed ${, a parameter in a key")
    func references() {
        #expect(
            Self.problems(Self.template("  mode: [active-backup]", name: "t ${mood}")) == [
                "m.yaml:3:7: error: unknown parameter ${mood}; the matrix declares: mode"
            ])
        #expect(
            Self.problems(Self.template("  mode: [active-backup]", name: "t ${mode} ${x")) == [
                "m.yaml:3:7: error: 't ${mode} ${x': '${' without a closing '}'; write ${name}"
            ])
        let keyed = Self.template("  mode: [active-backup]").replacingOccurrences(
            of: "  - hold: 1ms", with: "  - ${mode}: 1ms")
        #expect(
            Self.problems(keyed) == [
                "m.yaml:12:5: error: '${mode}': parameters are substituted in values only, not in keys"
            ])
    }

    @Test("at most 256 instances: 256 load, 257 do not")
    func cap() throws {
        func values(_ count: Int) -> String { "[" + (0..<count).map { "v\($0)" }.joined(separator: ", ") + "]" }
        let yaml = { (count: Int) in
            """
            matrix:
              a: [active-backup]
              n: \(values(count))
            name: t ${a} ${n}
            topology:
              hosts:
                server: {cables: {eth0: server2/eth0}}
                server2: {}
            steps:
              - hold: 1ms
            """
        }
        #expect(try PlaybookLoader.loadInstances(yaml: yaml(256), file: "m.yaml").count == 256)
        #expect(
            Self.problems(yaml(257)) == [
                "m.yaml:3:6: error: matrix.n: the matrix has more than 256 instances; split the playbook"
            ])
    }
}
