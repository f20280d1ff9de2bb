import FailoverModel
import FailoverPlaybook
import Foundation
import Testing

/// Names that reach file names and commands, read just inside and just outside each rule.
@Suite("Names that reach a file or a command are validated at load time")
struct NameValidationTests {
    static func playbook(interface: String = "eth0", probe: String = "p1") -> String {
        """
        name: names
        topology:
          switches: [sw1]
          hosts:
            server: {cables: {eth1: sw1, "\(interface)": sw1}}
            client: {cables: {eth0: sw1}}
        probes:
          - {name: "\(probe)", from: client, to: server}
        steps:
          - hold: 1ms
        """
    }

    static func errors(_ yaml: String) -> [String] {
        do {
            _ = try PlaybookLoader.load(yaml: yaml, file: "t.yaml")
            return []
        } catch let error as PlaybookError {
            return error.errors.map(\.message)
        } catch {
            return ["\(error)"]
        }
    }

    @Test(
        "interface names the kernel takes and a shell reads as one word load",
        arguments: ["A.b_c-123456789", "e", "9x", "eth0.100", "a..b", "eth0"])
    func plainInterfaceNames(name: String) {
        #expect(Self.errors(Self.playbook(interface: name)) == [])
    }

    @Test(
        "interface names with shell metacharacters, quotes, control characters or NUL are refused",
        arguments: [
            "$(reboot)", "`reboot`", "a;reboot", "b|reboot", "d>etc", "e'q", "f\\\"g", "h\\0i", "j\\u001Bk", "-x",
            "_x", ".x", "ü0", "a&b", "a*b", "a~b", "a=b",
        ])
    func unsafeInterfaceNames(name: String) {
        let errors = Self.errors(Self.playbook(interface: name))
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.contains("may hold only letters, digits, '_', '.' and '-'") == true, "\(errors)")
    }

    @Test("an interface name of 15 bytes loads, 16 bytes is refused")
    func interfaceLength() {
        #expect(Self.errors(Self.playbook(interface: String(repeating: "a", count: 15))) == [])
        let errors = Self.errors(Self.playbook(interface: String(repeating: "a", count: 16)))
        #expect(errors.count == 1 && errors[0].contains("is 16 bytes; Linux allows at most 15"), "\(errors)")
    }

    @Test("a probe name that would climb out of the results directory is refused")
    func probeTraversal() {
        let name = "x/" + String(repeating: "../", count: 20) + "tmp/newdir/deeper/f"
        let errors = Self.errors(Self.playbook(probe: name))
        #expect(errors == ["probes[0].name: probe name '\(name)' must match [a-z0-9][a-z0-9_-]*"])
    }

    @Test("probe names: 32 characters load, 33 are refused; host rule for the characters")
    func probeNames() {
        #expect(Self.errors(Self.playbook(probe: String(repeating: "p", count: 32))) == [])
        #expect(Self.errors(Self.playbook(probe: "0_a-b")) == [])
        #expect(
            Self.errors(Self.playbook(probe: String(repeating: "p", count: 33)))
                == ["probes[0].name: probe name '\(String(repeating: "p", count: 33))' is 33 characters; at most 32"])
        for bad in ["..", ".", "P1", "a.b", "-a", "a b", "a/b", ""] {
            let errors = Self.errors(Self.playbook(probe: bad))
            #expect(errors.count == 1, "\(bad): \(errors)")
        }
    }

    @Test("a diagnostic quoting a name with a newline or ESC stays one line")
    func oneLine() throws {
        let errors = Self.errors(Self.playbook(interface: "x\\ny\\u001B[2J"))
        #expect(errors.count == 1)
        #expect(errors.allSatisfy { !$0.contains("\n") && !$0.contains("\u{1B}") })
        #expect(errors.first?.contains("'x\\ny\\u{1B}[2J'") == true, "\(errors)")
    }
}
