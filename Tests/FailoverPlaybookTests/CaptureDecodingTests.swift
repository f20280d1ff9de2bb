import FailoverCore
import FailoverFamilies
import FailoverModel
import Testing

@testable import FailoverPlaybook

/// The top-level `captures:` section: decoding, `auto`, references on the model.
@Suite("Capture declarations")
struct CaptureDecodingTests {
    static let head = """
        name: t
        topology:
          switches: [sw1, sw2]
          hosts:
            client:
              cables: {eth0: sw1}
            server:
              cables: {eth0: sw1, eth1: sw2}
              bonds:
                bond0: {mode: active-backup, slaves: [eth0, eth1]}
            my-host:
              cables: {eth0: sw2}
        probes:
          - {name: p, from: client, to: server, port: 4242}
          - {name: q, from: client, to: server, port: 4243, start: manual}

        """
    static let tail = "steps:\n  - hold: 10ms\n"

    func load(_ captures: String) throws -> Playbook {
        try PlaybookLoader.load(yaml: Self.head + captures + "\n" + Self.tail, file: "t.yaml").playbook
    }

    func diagnostics(_ captures: String) -> [String] {
        do {
            _ = try load(captures)
            return []
        } catch let error as PlaybookError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test("a list: a switch port (a host name with '-' too), a host interface, a slave, a filter")
    func list() throws {
        let playbook = try load(
            """
            captures:
              - {name: a, port: sw1/server-eth0}
              - {name: b, port: sw2/my-host-eth0, filter: arp}
              - {name: c, interface: server/bond0}
              - {name: d, interface: server/eth1}
            """)
        #expect(playbook.captures.map(\.name) == ["a", "b", "c", "d"])
        #expect(
            playbook.captures.map(\.target) == [
                .port(switch: "sw1", facing: InterfaceRef(host: "server", interface: "eth0")),
                .port(switch: "sw2", facing: InterfaceRef(host: "my-host", interface: "eth0")),
                .interface(InterfaceRef(host: "server", interface: "bond0")),
                .interface(InterfaceRef(host: "server", interface: "eth1")),
            ])
        #expect(playbook.captures.map(\.filter) == [nil, "arp", nil, nil])
        #expect(
            playbook.captures.map(\.target.label) == [
                "sw1:server-eth0", "sw2:my-host-eth0", "server:bond0", "server:eth1",
            ])
    }

    @Test("auto: every switch port in cable order, both probes' ports filtered out")
    func auto() throws {
        let playbook = try load("captures: auto")
        #expect(
            playbook.captures.map(\.name) == [
                "sw1:client-eth0", "sw1:server-eth0", "sw2:server-eth1", "sw2:my-host-eth0",
            ])
        #expect(playbook.captures.allSatisfy { $0.filter == "not (udp port 4242 or udp port 4243)" })
        let none = try PlaybookLoader.load(
            yaml: "name: t\ntopology:\n  switches: [sw1]\n  hosts:\n    a:\n      cables: {eth0: sw1}\ncaptures: auto\n"
                + Self.tail, file: "t.yaml"
        ).playbook
        #expect(none.captures.count == 1 && none.captures.first?.filter == nil)
    }

    @Test("without captures: none")
    func absent() throws {
        #expect(try PlaybookLoader.load(yaml: Self.head + Self.tail, file: "t.yaml").playbook.captures.isEmpty)
    }

    @Test("bad references and shapes: each at file:line:column")
    func badInput() {
        #expect(
            diagnostics("captures:\n  - {name: a, port: sw9/server-eth0}") == [
                "t.yaml:17:21: error: captures[0].port: no switch sw9; switches: sw1, sw2"
            ])
        // server/eth1 is cabled to sw2, not sw1: just outside.
        #expect(
            diagnostics("captures:\n  - {name: a, port: sw1/server-eth1}") == [
                "t.yaml:17:21: error: captures[0].port: switch sw1 has no port server-eth1; ports: client-eth0, server-eth0"
            ])
        #expect(
            diagnostics("captures:\n  - {name: a, interface: server/eth7}") == [
                "t.yaml:17:26: error: captures[0].interface: host server has no interface eth7; interfaces: eth0, eth1, bond0"
            ])
        #expect(
            diagnostics("captures:\n  - {name: a, interface: nobody/eth0}") == [
                "t.yaml:17:26: error: captures[0].interface: no host nobody; hosts: client, server, my-host"
            ])
        #expect(
            diagnostics("captures:\n  - {name: a}") == [
                "t.yaml:17:5: error: captures[0]: a capture needs 'port' (switch/host-interface) or 'interface' (host/interface)"
            ])
        #expect(
            diagnostics("captures:\n  - {name: a, port: sw1}") == [
                "t.yaml:17:21: error: captures[0].port: expected switch/host-interface (sw1/server-eth0), found 'sw1'"
            ])
        #expect(
            diagnostics("captures: all") == [
                "t.yaml:16:11: error: captures: expected auto or a list of captures, found 'all'"
            ])
        #expect(
            diagnostics("captures:\n  - {name: a, port: sw1/server-eth0, fliter: arp}") == [
                "t.yaml:17:38: error: unknown key 'fliter' in capture; did you mean 'filter'?"
            ])
    }

    @Test("a model built in code gets the same reference checks")
    func modelChecks() throws {
        var playbook = try load("")
        playbook.captures = [
            CaptureSpec(
                name: "x", target: .port(switch: "sw2", facing: InterfaceRef(host: "client", interface: "eth0")))
        ]
        let messages = PlaybookChecker().check(playbook).map(\.message)
        #expect(messages == ["captures[0].port: switch sw2 has no port client-eth0; ports: server-eth1, my-host-eth0"])
        playbook.captures[0].target = .port(switch: "sw1", facing: InterfaceRef(host: "client", interface: "eth0"))
        #expect(PlaybookChecker().check(playbook).isEmpty)
    }
}

/// The capture family's assertions: decoding and the references they make.
@Suite("Capture assertions")
struct CaptureAssertionDecodingTests {
    func diagnostics(_ step: String) -> [String] { FamilyRegistryTests().diagnostics(step) }

    @Test("frames and first_frame decode: capture by name or port, kind, src_mac, sender_ip, bound, window")
    func decoding() throws {
        let playbook = try FamilyRegistryTests().load(
            "expect: {frames: {capture: sw1/server-eth1, kind: garp, src_mac: {permanent_of: server/eth1}, sender_ip: 198.18.0.1, at_most: 3, within: 1s}}"
        )
        guard case .expect(let members) = try #require(playbook.steps.last).action else {
            Issue.record("not an expect step")
            return
        }
        #expect(
            members.first?.assertion
                == .frames(
                    capture: "sw1:server-eth1",
                    FrameMatch(
                        kind: .garp, sourceMAC: .permanentOf(InterfaceRef(host: "server", interface: "eth1")),
                        senderIP: IPAddress("198.18.0.1")), .atMost(3), window: .seconds(1)))
        let first = try FamilyRegistryTests().load(
            "expect: {first_frame: {capture: sw1:client-eth0, kind: unsolicited_na, within: 300ms}}")
        guard case .expect(let others) = try #require(first.steps.last).action else { return }
        #expect(
            others.first?.assertion
                == .firstFrame(capture: "sw1:client-eth0", FrameMatch(kind: .unsolicitedNA), within: .milliseconds(300))
        )
    }

    @Test("frames spacing: gaps and tolerance decode; it needs 'is' and exactly is − 1 gaps")
    func spacing() throws {
        let playbook = try FamilyRegistryTests().load(
            "expect: {frames: {capture: sw1/server-eth1, kind: garp, is: 3, within: 1s, spacing: {gaps: [100ms, 200ms], tolerance: 40ms}}}"
        )
        guard case .expect(let members) = try #require(playbook.steps.last).action else {
            Issue.record("not an expect step")
            return
        }
        #expect(
            members.first?.assertion
                == .frames(
                    capture: "sw1:server-eth1", FrameMatch(kind: .garp), .equals(3), window: .seconds(1),
                    spacing: FrameSpacing(gaps: [.milliseconds(100), .milliseconds(200)], tolerance: .milliseconds(40)))
        )
        // One gap too many, one too few: errors at the gaps list.
        let more = diagnostics(
            "expect: {frames: {capture: sw1:server-eth1, kind: garp, is: 2, spacing: {gaps: [100ms, 200ms], tolerance: 40ms}}}"
        )
        #expect(
            more.count == 1 && more.first?.contains("2 frames have 1 gaps between them, found 2") == true, "\(more)")
        let fewer = diagnostics(
            "expect: {frames: {capture: sw1:server-eth1, kind: garp, is: 4, spacing: {gaps: [100ms, 200ms], tolerance: 40ms}}}"
        )
        #expect(
            fewer.count == 1 && fewer.first?.contains("4 frames have 3 gaps between them, found 2") == true, "\(fewer)")
        let bound = diagnostics(
            "expect: {frames: {capture: sw1:server-eth1, kind: garp, at_least: 3, spacing: {gaps: [100ms, 200ms], tolerance: 40ms}}}"
        )
        #expect(bound.count == 1 && bound.first?.contains("spacing: needs 'is'") == true, "\(bound)")
        let noTolerance = diagnostics(
            "expect: {frames: {capture: sw1:server-eth1, kind: garp, is: 3, spacing: {gaps: [100ms, 200ms]}}}")
        #expect(noTolerance.count == 1 && noTolerance.first?.contains("needs 'gaps'") == true, "\(noTolerance)")
        let badKey = diagnostics(
            "expect: {frames: {capture: sw1:server-eth1, kind: garp, is: 3, spacing: {gaps: [100ms, 200ms], tolerence: 4ms}}}"
        )
        #expect(badKey.count >= 1, "\(badKey)")
    }

    @Test("override: a flag of neighbour advertisements only")
    func override() throws {
        let playbook = try FamilyRegistryTests().load(
            "expect: {frames: {capture: sw1/server-eth1, kind: unsolicited_na, override: true, is: 3, within: 1s}}")
        guard case .expect(let members) = try #require(playbook.steps.last).action else {
            Issue.record("not an expect step")
            return
        }
        #expect(
            members.first?.assertion
                == .frames(
                    capture: "sw1:server-eth1", FrameMatch(kind: .unsolicitedNA, override: true), .equals(3),
                    window: .seconds(1)))
        let garp = diagnostics("expect: {frames: {capture: sw1:server-eth1, kind: garp, override: true, is: 1}}")
        #expect(
            garp.count == 1 && garp.first?.contains("override: only for neighbour advertisements") == true, "\(garp)")
        let notBool = diagnostics("expect: {frames: {capture: sw1:server-eth1, kind: na, override: maybe, is: 1}}")
        #expect(notBool.count == 1, "\(notBool)")
    }

    @Test("bad input: no such capture, unknown kind, no bound, first_frame without within — each at its place")
    func badInput() {
        #expect(
            diagnostics("expect: {frames: {capture: sw1:nobody-eth0, kind: garp, is: 1}}") == [
                "t.yaml:17:32: error: steps[1].expect.frames.capture: no capture sw1:nobody-eth0 (declare it under "
                    + "captures:); captures: sw1:client-eth0, sw1:server-eth0, sw1:server-eth1"
            ])
        #expect(
            diagnostics("expect: {frames: {capture: sw1:server-eth0, kind: gratuitous, is: 1}}").first?.hasPrefix(
                "t.yaml:17:55: error: steps[1].expect.frames.kind: unknown frame kind 'gratuitous'; kinds: garp,")
                == true)
        #expect(
            diagnostics("expect: {frames: {capture: sw1:server-eth0, kind: garp}}") == [
                "t.yaml:17:14: error: steps[1].expect.frames: frames needs exactly one of 'is', 'at_least', 'at_most'"
            ])
        #expect(
            diagnostics("expect: {first_frame: {capture: sw1:server-eth0, kind: garp}}") == [
                "t.yaml:17:14: error: steps[1].expect.first_frame: first_frame needs 'within' (its deadline after the last fault)"
            ])
        #expect(
            diagnostics(
                "expect: {frames: {capture: sw1:server-eth0, kind: garp, src_mac: {same_as: server/eth9}, is: 1}}"
            )
            .count == 1)
    }
}
