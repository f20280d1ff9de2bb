import FailoverCore
import FailoverFamilies
import FailoverModel
import FailoverPlaybook
import Foundation
import Testing

/// `failover plan` prints a script to paste: nothing a playbook holds may add a command to it.
@Suite("plan output is only the intended commands, whatever the playbook holds")
struct PlanInjectionTests {
    /// Command words a plan may start a line with.
    static let commandWords: Set<String> = ["ip", "bridge", "sleep", "set"]

    /// One line split as a POSIX shell would, accepting only unquoted characters no shell treats
    /// specially, single-quoted strings and `\'` (an escaped quote); nil when the line holds
    /// anything else unquoted (`$`, a backquote, `;`, `|`, `>`, `"`, another `\`, `#`, …) or an
    /// unterminated quote.
    static func words(_ line: String) -> [String]? {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:,=+@%".unicodeScalars)
        var words: [String] = []
        var word: String?
        var quoted = false
        var escaped = false
        for scalar in line.unicodeScalars {
            if escaped {
                guard scalar == "'" else { return nil }
                escaped = false
                word = (word ?? "") + "'"
            } else if quoted {
                if scalar == "'" { quoted = false } else { word?.unicodeScalars.append(scalar) }
            } else if scalar == "\\" {
                escaped = true
            } else if scalar == "'" {
                quoted = true
                word = word ?? ""
            } else if scalar == " " {
                if let done = word { words.append(done) }
                word = nil
            } else if plain.contains(scalar) {
                word = (word ?? "") + String(scalar)
            } else {
                return nil
            }
        }
        guard !quoted && !escaped else { return nil }
        if let done = word { words.append(done) }
        return words
    }

    /// Every line is blank, the shebang, a comment, or a known command made of plain and
    /// single-quoted words. Returns the commands' words.
    static func commands(_ script: String) -> [[String]] {
        var result: [[String]] = []
        for line in script.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parsed = words(line)
            #expect(parsed != nil, "not plain shell words: \(line)")
            guard let parsed, let first = parsed.first else { continue }
            #expect(Self.commandWords.contains(first), "unexpected command: \(line)")
            result.append(parsed)
        }
        return result
    }

    /// `sh -n` (parse only, nothing is executed) accepts the script.
    static func shellParses(_ script: String) throws -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-n"]
        let input = Pipe()
        process.standardInput = input
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test("the checks themselves reject injected lines and bad syntax")
    func checksCanFail() throws {
        #expect(Self.words("ip link set $(reboot) up") == nil)
        #expect(Self.words("ip link set `reboot` up") == nil)
        #expect(Self.words("ip link set a;reboot up") == nil)
        #expect(Self.words("ip link set 'a;reboot' up") == ["ip", "link", "set", "a;reboot", "up"])
        #expect(Self.words("ip link set 'e'\\''q' up") == ["ip", "link", "set", "e'q", "up"])
        #expect(Self.words("ip link set a\\;reboot up") == nil)
        #expect(Self.words("ip 'open") == nil)
        #expect(try Self.shellParses("ip link set 'x' up\n"))
        #expect(try !Self.shellParses("ip link set 'x up\n"))
        #expect(try !Self.shellParses("if then\n"))
    }

    @Test("shell words: plain words as is, everything else single-quoted")
    func shellWords() {
        #expect(PlanRenderer.shellWord("eth0") == "eth0")
        #expect(PlanRenderer.shellWord("fo000000-server") == "fo000000-server")
        #expect(PlanRenderer.shellWord("2001:2::1/64") == "2001:2::1/64")
        #expect(PlanRenderer.shellWord("") == "''")
        #expect(PlanRenderer.shellWord("=x") == "'=x'")
        #expect(PlanRenderer.shellWord("~root") == "'~root'")
        #expect(PlanRenderer.shellWord("#x") == "'#x'")
        #expect(PlanRenderer.shellWord("a*") == "'a*'")
        #expect(PlanRenderer.shellWord("$(reboot)") == "'$(reboot)'")
        #expect(PlanRenderer.shellWord("e'q") == "'e'\\''q'")
        // A quote followed by a combining accent is one Character but still a quote to the shell.
        #expect(PlanRenderer.shellWord("a'\u{301}b") == "'a'\\''\u{301}b'")
    }

    @Test("comments escape newlines and control characters")
    func comments() {
        #expect(PlanRenderer.comment("x\nid > pwned\n# ") == "# x\\nid > pwned\\n# ")
        #expect(
            PlanRenderer.comment("a\rb\u{1B}[31mc\u{0}d\u{2028}e\\f") == "# a\\rb\\u{1B}[31mc\\0d\\u{2028}e\\\\f")
        #expect(PlanRenderer.comment("001 — plain text") == "# 001 — plain text")
    }

    static let nastyYAML = #"""
        name: "x\nid > pwned\n# "
        description: "$(reboot)\n`reboot`"
        seed: "$(reboot) `reboot` 'q' \"d\" \\ ; | > \r\e[31m \u2028 end\nrm -rf /tmp/x"
        topology:
          switches: [sw1]
          hosts:
            server:
              cables: {eth0: sw1, eth1: sw1}
              bonds:
                bond0: {mode: active-backup, miimon: 100, slaves: [eth0, eth1]}
            client:
              cables: {eth0: sw1}
        probes:
          - {name: p1, from: client, to: server}
        steps:
          - set: {bond: server/bond0, active_slave: none}
          - pull: server/eth0
          - hold: 10ms
          - expect: {active_slave: {bond: server/bond0, is: eth1}}
        """#

    @Test("free text from the playbook and its file name stays inside comments")
    func freeText() throws {
        let file = "pb\nreboot\n$(id).yaml"
        let playbook = try PlaybookLoader.load(yaml: Self.nastyYAML, file: file).playbook
        #expect(playbook.name == "x\nid > pwned\n# ")
        #expect(playbook.seed?.contains("\nrm -rf /tmp/x") == true)
        let script = PlanRenderer.render(playbook, names: RunNames(runID: "000000"))
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.contains("# failover plan: x\\nid > pwned\\n# "))
        #expect(lines.contains("# playbook: pb\\nreboot\\n$(id).yaml"))
        #expect(lines.contains { $0.hasPrefix("# seed: $(reboot) `reboot` 'q' \"d\" \\\\ ; | > \\r\\u{1B}[31m") })
        #expect(!lines.contains { $0.hasPrefix("id") || $0.hasPrefix("rm") || $0.hasPrefix("reboot") })
        let commands = Self.commands(script)
        #expect(commands.count > 20)
        #expect(
            commands.contains([
                "ip", "-n", "fo000000-server", "link", "set", "bond0", "type", "bond", "active_slave", "",
            ]))
        #expect(commands.contains(["sleep", "0.01"]))
        #expect(try Self.shellParses(script))
    }

    /// A playbook built directly (not through the loader, which refuses such names): every
    /// name a shell would act on comes back as exactly one word.
    static func hostileModel() -> Playbook {
        let server = "a;reboot"
        let switchName = "s`reboot`"
        let slave1 = "$(reboot)"
        let slave2 = "e'q"
        let bond = "b|reboot"
        let lonely = "d>etc"
        let topology = Topology(
            switches: [Switch(name: switchName)],
            hosts: [
                Host(
                    name: server, interfaces: [slave1, slave2, lonely],
                    bonds: [Bond(name: bond, mode: .activeBackup, slaves: [slave1, slave2])],
                    addresses: [
                        InterfaceAddresses(
                            interface: bond, addresses: [InterfaceAddress("198.18.0.1/24")].compactMap { $0 })
                    ],
                    macs: [lonely: MACAddress("02:00:00:00:00:07")].compactMapValues { $0 },
                    routes: [
                        Route(destination: nil, family: .ipv4, via: IPAddress("198.18.0.254"), device: bond)
                    ])
            ],
            cables: [
                Cable(a: InterfaceRef(host: server, interface: slave1), b: .switch(switchName)),
                Cable(a: InterfaceRef(host: server, interface: slave2), b: .switch(switchName)),
                Cable(a: InterfaceRef(host: server, interface: lonely), b: .switch(switchName)),
            ])
        let bondRef = InterfaceRef(host: server, interface: bond)
        return Playbook(
            name: "hostile", topology: topology,
            steps: [
                Step(.pull(InterfaceRef(host: server, interface: slave1))),
                Step(.down(InterfaceRef(host: server, interface: lonely))),
                Step(.set(bond: bondRef, option: "primary", value: "x y'z")),
                Step(.switchDown(switchName)),
                Step(.blackhole(InterfaceRef(host: server, interface: lonely))),
                Step(.expect([Expectation(.activeSlave(bond: bondRef, expected: slave2))])),
            ],
            file: "hostile.yaml")
    }

    @Test("names with shell metacharacters are single words of known commands")
    func hostileNames() throws {
        let script = PlanRenderer.render(Self.hostileModel(), names: RunNames(runID: "000000"))
        let commands = Self.commands(script)
        let words = Set(commands.flatMap { $0 })
        for expected in [
            "fo000000-a;reboot", "fo000000-s`reboot`", "$(reboot)", "e'q", "b|reboot", "d>etc", "x y'z",
            "/proc/net/bonding/b|reboot",
        ] {
            #expect(words.contains(expected), "missing word \(expected)")
        }
        #expect(commands.contains(["ip", "netns", "add", "fo000000-a;reboot"]))
        #expect(commands.contains(["ip", "netns", "del", "fo000000-a;reboot"]))
        #expect(commands.contains(["ip", "-n", "fo000000-a;reboot", "link", "set", "$(reboot)", "master", "b|reboot"]))
        #expect(commands.contains(["ip", "-n", "fo000000-a;reboot", "link", "set", "d>etc", "down"]))
        #expect(try Self.shellParses(script))
    }

    @Test("a command with a newline in a word is shown as a comment, not run")
    func newlineInName() throws {
        var playbook = Self.hostileModel()
        playbook.steps = [Step(.down(InterfaceRef(host: "a;reboot", interface: "x\nreboot")))]
        let script = PlanRenderer.render(playbook, names: RunNames(runID: "000000"))
        let lines = script.split(separator: "\n").map(String.init)
        #expect(!lines.contains { $0.hasPrefix("reboot") })
        #expect(
            lines.contains(
                "# (not shown: a word holds a control character) ip -n fo000000-a;reboot link set x\\nreboot down"))
        _ = Self.commands(script)
        #expect(try Self.shellParses(script))
    }
}
