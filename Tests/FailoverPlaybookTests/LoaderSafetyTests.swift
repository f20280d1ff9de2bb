import FailoverFamilies
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

/// Alias expansion and nesting are bounded before Yams composes the text.
@Suite("The loader refuses alias bombs and deep nesting at the alias's line:column")
struct AliasBudgetTests {
    static func errors(_ yaml: String) -> [String] {
        do {
            _ = try PlaybookLoader.load(yaml: yaml, file: "t.yaml")
            return []
        } catch let error as PlaybookError {
            return error.errors.map { "\($0.location.line):\($0.location.column): \($0.message)" }
        } catch {
            return ["\(error)"]
        }
    }

    /// A valid playbook followed by `extra` lines under an unused top-level key `x-extra` (which
    /// itself is an error only when the prescan lets the text through).
    static func playbook(extra: String) -> String {
        "name: aliases\ntopology: {hosts: {a: }}\nsteps: [{hold: 1ms}]\nx-extra:\n" + extra
    }

    @Test("a 10-level alias bomb used as a mapping key is refused at the first alias past the budget")
    func bomb() throws {
        var lines = ["  - &a [lol, lol, lol, lol]"]
        for (previous, name) in zip("abcdefghi", "bcdefghij") {
            lines.append("  - &\(name) [*\(previous), *\(previous), *\(previous), *\(previous)]")
        }
        let yaml = Self.playbook(extra: lines.joined(separator: "\n") + "\n? *j\n: v\n")
        #expect(yaml.utf8.count < 600)
        // *f stands for 5461 nodes; the aliases of b..f already stood for 20+84+340+1364+5460.
        #expect(
            Self.errors(yaml) == [
                "11:9: alias '*f' stands for 5461 nodes, 12729 with the aliases before it; a playbook's aliases "
                    + "may stand for at most 10000 nodes in all (an alias bomb?)"
            ])
    }

    @Test("a bomb of mappings is refused as well")
    func mappingBomb() throws {
        var lines = ["  - &a {a: lol, b: lol, c: lol, d: lol}"]
        for (previous, name) in zip("abcdefghi", "bcdefghij") {
            lines.append("  - &\(name) {a: *\(previous), b: *\(previous), c: *\(previous), d: *\(previous)}")
        }
        let errors = Self.errors(Self.playbook(extra: lines.joined(separator: "\n") + "\n? *j\n: v\n"))
        // a: 9 nodes, b: 1+4+4*9 = 41, c: 1+4+4*41 = 169, d: 681, e: 2729, f: 10921; the aliases
        // of b..e stood for 36+164+676+2724 = 3600, and the first *e of f brings that to 6329,
        // the second to 9058, the third to 11787.
        #expect(
            errors == [
                "10:26: alias '*e' stands for 2729 nodes, 11787 with the aliases before it; a playbook's aliases "
                    + "may stand for at most 10000 nodes in all (an alias bomb?)"
            ])
    }

    @Test("aliases standing for 10000 nodes in all pass the budget; 10001 are refused")
    func budgetBound() {
        let anchor = "  - &a [" + Array(repeating: "x", count: 99).joined(separator: ", ") + "]\n  - &s y\n"
        let hundred = "  - [" + Array(repeating: "*a", count: 100).joined(separator: ", ") + "]\n"
        // Inside: 100 aliases of a 100-node sequence. The only error is the unused key.
        #expect(
            Self.errors(Self.playbook(extra: anchor + hundred)).map { $0.contains("unknown key 'x-extra'") }
                == [true])
        // Outside by one node: one more alias of a scalar.
        #expect(
            Self.errors(Self.playbook(extra: anchor + hundred + "  - *s\n")) == [
                "8:5: alias '*s' stands for 1 nodes, 10001 with the aliases before it; a playbook's aliases may "
                    + "stand for at most 10000 nodes in all (an alias bomb?)"
            ])
    }

    @Test("aliases within the budget load like the nodes they stand for")
    func aliasesLoad() throws {
        let yaml = """
            name: aliases
            topology:
              switches: [sw1]
              hosts:
                server: {cables: &two {eth0: sw1, eth1: sw1}, bonds: {bond0: {mode: active-backup, slaves: &slaves [eth0, eth1]}}}
                client: {cables: *two}
            steps:
              - pull: &pulled server/eth0
              - plug: *pulled
            """
        let playbook = try PlaybookLoader.load(yaml: yaml, file: "t.yaml").playbook
        #expect(playbook.topology.hosts.map(\.interfaces) == [["eth0", "eth1"], ["eth0", "eth1"]])
        #expect(playbook.steps.count == 2)
    }

    @Test("64 levels of nesting load; 65 are refused, also when an alias makes them")
    func depthBound() {
        // The top-level mapping is level 1, x-extra's value level 2.
        func nested(_ levels: Int) -> String {
            String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
        }
        #expect(
            Self.errors(Self.playbook(extra: "  " + nested(63) + "\n")).map { $0.contains("unknown key") } == [true])
        #expect(
            Self.errors(Self.playbook(extra: "  " + nested(64) + "\n")) == [
                "5:66: the YAML is nested more than 64 levels deep"
            ])
        // &d is 60 levels high; inside three more sequences (levels 2–4) it reaches level 64, inside four 65.
        let anchored = "  - &d " + nested(60) + "\n"
        #expect(
            Self.errors(Self.playbook(extra: anchored + "  - [[*d]]\n")).map { $0.contains("unknown key") } == [true])
        #expect(
            Self.errors(Self.playbook(extra: anchored + "  - [[[*d]]]\n")) == [
                "6:8: alias '*d' nests the YAML more than 64 levels deep"
            ])
    }

    @Test("an alias without an anchor is reported where it is")
    func undefinedAlias() {
        #expect(
            Self.errors(Self.playbook(extra: "  - &a x\n  - *b\n")) == [
                "6:5: YAML error: alias '*b' has no anchor '&b' before it"
            ])
    }
}

/// Reading the file: refusals say why, at the right place, and never block.
@Suite("Loader messages for unreadable files and bad text")
struct LoaderFileTests {
    static let valid = "name: ok\ntopology: {hosts: {a: }}\nsteps: [{hold: 1ms}]\n"

    /// A fresh directory for one test; removed by the caller.
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("failover-loader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        return url
    }

    static func diagnostics(_ path: String) -> [String] {
        do {
            _ = try PlaybookLoader.load(contentsOf: path)
            return []
        } catch let error as PlaybookError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test("invalid UTF-8 is reported at its line, column and byte offset, not replaced")
    func invalidUTF8() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.yaml")
        // Line 2: "seed: é" then 0xFF; 'é' is two bytes but one column.
        var bytes = Array("name: x\nseed: é".utf8)
        let offset = bytes.count
        bytes += [0xFF] + Array("\ntopology: {hosts: {a: }}\nsteps: [{hold: 1ms}]\n".utf8)
        try Data(bytes).write(to: file)
        #expect(
            Self.diagnostics(file.path) == [
                "\(file.path):2:8: error: invalid UTF-8: byte 0xFF at byte offset \(offset); a playbook is UTF-8 text"
            ])
        // A sequence cut short at the end of the file.
        try Data(Array(Self.valid.utf8) + [0x23, 0xE2, 0x82]).write(to: file)
        #expect(
            Self.diagnostics(file.path) == [
                "\(file.path):4:2: error: invalid UTF-8: byte 0xE2 at byte offset \(Self.valid.utf8.count + 1); a playbook is UTF-8 text"
            ])
        // Just inside: the same file, well-formed, loads, also after a byte order mark.
        try Data(Array(Self.valid.utf8) + [0x23, 0xE2, 0x82, 0xAC]).write(to: file)
        #expect(Self.diagnostics(file.path) == [])
        try Data([0xEF, 0xBB, 0xBF] + Array(Self.valid.utf8)).write(to: file)
        #expect(Self.diagnostics(file.path) == [])
    }

    @Test("a reader error (a control character) is placed at its line:column")
    func controlCharacter() throws {
        let errors = AliasBudgetTests.errors("name: x\nseed: a\u{1}b\ntopology: {hosts: {a: }}\nsteps: []\n")
        #expect(errors == ["2:8: YAML error: control characters are not allowed (U+0001)"])
    }

    @Test("a symbolic link loop says ELOOP, a dangling link says so")
    func symlinks() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let one = directory.appendingPathComponent("one.yaml").path
        let two = directory.appendingPathComponent("two.yaml").path
        try FileManager.default.createSymbolicLink(atPath: one, withDestinationPath: two)
        try FileManager.default.createSymbolicLink(atPath: two, withDestinationPath: one)
        #expect(
            Self.diagnostics(one) == [
                "\(one):1:1: error: cannot read playbook: too many levels of symbolic links: a symbolic link loop (ELOOP)"
            ])
        let dangling = directory.appendingPathComponent("dangling.yaml").path
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: "/nonexistent/x.yaml")
        #expect(
            Self.diagnostics(dangling) == [
                "\(dangling):1:1: error: cannot read playbook: a symbolic link to a file that does not exist (ENOENT)"
            ])
        #expect(PlaybookLoader.pathProblem(one) == "too many levels of symbolic links: a symbolic link loop (ELOOP)")
        // Just inside: a link to a real playbook loads.
        let real = directory.appendingPathComponent("real.yaml")
        try Data(Self.valid.utf8).write(to: real)
        let link = directory.appendingPathComponent("link.yaml").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real.path)
        #expect(Self.diagnostics(link) == [])
        #expect(PlaybookLoader.pathProblem(link) == nil)
    }

    @Test("a FIFO, a character device and a directory are not regular files (the FIFO is not opened to wait)")
    func notRegular() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("fifo.yaml").path
        let made = Process()
        made.executableURL = URL(fileURLWithPath: "/usr/bin/mkfifo")
        made.arguments = [fifo]
        try made.run()
        made.waitUntilExit()
        #expect(made.terminationStatus == 0)
        #expect(
            Self.diagnostics(fifo) == [
                "\(fifo):1:1: error: cannot read playbook: a FIFO (named pipe), not a regular file"
            ])
        #expect(
            Self.diagnostics("/dev/zero") == [
                "/dev/zero:1:1: error: cannot read playbook: a character device, not a regular file"
            ])
        #expect(
            Self.diagnostics(directory.path) == [
                "\(directory.path):1:1: error: cannot read playbook: a directory, not a regular file"
            ])
        // Just inside: a regular file in the same directory loads.
        let file = directory.appendingPathComponent("ok.yaml")
        try Data(Self.valid.utf8).write(to: file)
        #expect(Self.diagnostics(file.path) == [])
    }
}
