import FailoverFamilies
import FailoverModel
import FailoverPlaybook
import Testing

/// `set` with `expect_error`, and the `option` assertion, as the loader decodes them.
@Suite("Loader decodes expect_error and option")
struct SetOptionDecodingTests {
    static let topology = """
        name: refusals
        topology:
          switches: [sw1]
          hosts:
            server:
              cables: {eth0: sw1, eth1: sw1}
              bonds:
                bond0: {mode: active-backup, miimon: 100, slaves: [eth0, eth1]}
        steps:

        """

    let bond = InterfaceRef(host: "server", interface: "bond0")

    func load(_ steps: String) throws -> [StepAction] {
        try PlaybookLoader.load(yaml: Self.topology + steps, file: "t.yaml").playbook.steps.map(\.action)
    }

    func diagnostics(_ steps: String) -> [String] {
        do {
            return try PlaybookLoader.load(yaml: Self.topology + steps, file: "t.yaml").warnings.map(\.description)
        } catch let error as PlaybookError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test("expect_error is kept with the one option it refuses; without it a set expects success")
    func expectError() throws {
        let actions = try load(
            """
              - set: {bond: server/bond0, updelay: 200ms, expect_error: EPERM}
              - set: {bond: server/bond0, updelay: 250}
              - set: {bond: server/bond0, mode: balance-rr, expect_error: ENOTEMPTY}
              - set: {bond: server/bond0, fail_over_mac: active, expect_error: ENOTEMPTY}
              - set: {bond: server/bond0, active_slave: none, expect_error: EINVAL}
            """)
        #expect(
            actions == [
                .set(bond: bond, option: "updelay", value: "200", expectError: "EPERM"),
                .set(bond: bond, option: "updelay", value: "250"),
                .set(bond: bond, option: "mode", value: "balance-rr", expectError: "ENOTEMPTY"),
                .set(bond: bond, option: "fail_over_mac", value: "active", expectError: "ENOTEMPTY"),
                .set(bond: bond, option: "active_slave", value: "", expectError: "EINVAL"),
            ])
        #expect(actions[0].description == "set server/bond0 updelay=200, expecting EPERM")
        #expect(actions[1].description == "set server/bond0 updelay=250")
    }

    @Test("an unknown errno name is an error at its value, with a suggestion when close")
    func unknownErrno() {
        #expect(
            diagnostics("  - set: {bond: server/bond0, updelay: 200, expect_error: EPREM}\n") == [
                "t.yaml:10:59: error: steps[0].set.expect_error: unknown errno name 'EPREM'; did you mean EPERM? "
                    + "expected a Linux errno name such as EPERM, EINVAL, EBUSY, EACCES, ENOTEMPTY, ENODEV, EOPNOTSUPP"
            ])
        // Every name the decoder accepts is a known errno.
        for name in ["EPERM", "EINVAL", "EBUSY", "EOPNOTSUPP", "ENODEV", "ENOTEMPTY", "EACCES"] {
            #expect(diagnostics("  - set: {bond: server/bond0, updelay: 200, expect_error: \(name)}\n").isEmpty)
        }
    }

    @Test("mode without expect_error is refused at load time, naming the errno the kernel gives")
    func modeNeedsExpectation() {
        #expect(
            diagnostics("  - set: {bond: server/bond0, mode: balance-rr}\n") == [
                "t.yaml:10:31: error: steps[0].set.mode: mode cannot be changed while the bond has slaves "
                    + "(the kernel answers ENOTEMPTY); to check that refusal, add expect_error: ENOTEMPTY"
            ])
    }

    @Test("option decodes to the spelling set uses: ms as numbers, named values, slaves or none")
    func optionAssertion() throws {
        let actions = try load(
            """
              - expect:
                - {option: {bond: server/bond0, name: updelay, is: 200ms}}
                - {option: {bond: server/bond0, name: primary, is: none, within: 1s}}
                - {option: {bond: server/bond0, name: arp_validate, is: 3}}
                - {option: {bond: server/bond0, name: use_carrier, is: true}}
                - {option: {bond: server/bond0, name: num_unsol_na, is: 2}}
            """)
        guard case .expect(let expectations) = actions.first else {
            Issue.record("not an expect step: \(actions)")
            return
        }
        #expect(
            expectations.map(\.assertion) == [
                .option(bond: bond, name: "updelay", expected: "200"),
                .option(bond: bond, name: "primary", expected: "none"),
                .option(bond: bond, name: "arp_validate", expected: "all"),
                .option(bond: bond, name: "use_carrier", expected: "1"),
                .option(bond: bond, name: "num_grat_arp", expected: "2"),
            ])
        #expect(expectations[1].wait == .within(.seconds(1)))
        #expect(expectations[0].description == "option updelay of server/bond0 is 200")
    }
}
