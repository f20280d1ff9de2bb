import Foundation
import Testing

/// What `validate` and `plan` say about hostile or unreadable playbooks.
@Suite("failover CLI: hostile and unreadable playbooks")
struct LoaderCLITests {
    @Test("plan: a name with newlines stays in a comment; every other line is a known command")
    func planInjection() throws {
        let text = sketch.replacingOccurrences(
            of: "name: active-backup, pull and plug both slaves", with: #"name: "x\nid > pwned\n# ""#)
        let path = try temporaryPlaybook("plan.yaml", text)
        defer { removeTemporaryPlaybook(path) }
        let result = try CLI.run(["plan", path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("# failover plan: x\\nid > pwned\\n# "))
        for line in lines where !line.hasPrefix("#") {
            let first = line.split(separator: " ").first.map(String.init) ?? ""
            #expect(["ip", "bridge", "sleep", "set"].contains(first), "unexpected line: \(line)")
        }
    }

    @Test("validate: an interface name with shell metacharacters exits 65 with its line:column")
    func unsafeInterface() throws {
        let text = sketch.replacingOccurrences(of: "cables: {eth0: sw}", with: #"cables: {"$(reboot)": sw}"#)
        let path = try temporaryPlaybook("bad.yaml", text)
        defer { removeTemporaryPlaybook(path) }
        let result = try CLI.run(["validate", path])
        #expect(result.status == 65)
        #expect(
            result.stderr.contains(
                "\(path):11:16: error: topology.hosts.client.cables.$(reboot): interface name '$(reboot)' may hold only"
            ), "\(result.stderr)")
    }

    @Test("validate and run: a BPF filter libpcap rejects exits 65 at the filter's line:column, nothing run")
    func badCaptureFilter() throws {
        let good = sketch.replacingOccurrences(
            of: "steps:\n", with: "captures:\n  - {name: c, port: sw/server-eth0, filter: arp}\nsteps:\n")
        let goodPath = try temporaryPlaybook("good-filter.yaml", good)
        defer { removeTemporaryPlaybook(goodPath) }
        // Just inside: libpcap compiles `arp`.
        #expect(try CLI.run(["validate", goodPath]).status == 0)
        let bad = good.replacingOccurrences(of: "filter: arp}", with: "filter: \"arp or\"}")
        let path = try temporaryPlaybook("bad-filter.yaml", bad)
        defer { removeTemporaryPlaybook(path) }
        for arguments in [["validate", path], ["run", "--vm", "never", path]] {
            let result = try CLI.run(arguments)
            #expect(result.status == 65, "\(arguments): \(result.stderr)")
            #expect(
                result.stderr.contains(
                    "\(path):14:45: error: captures[0].filter: libpcap cannot compile the BPF filter \"arp or\": "
                ), "\(result.stderr)")
            #expect(result.stderr.contains("syntax error\n"), "\(result.stderr)")
            #expect(result.stderr.contains("nothing was run"), "\(result.stderr)")
            #expect(result.stdout.isEmpty, "\(result.stdout)")
        }
    }

    @Test("validate: a symlink loop is ELOOP (exit 64); a FIFO is not a regular file (exit 65)")
    func unreadable() throws {
        let path = try temporaryPlaybook("ok.yaml", sketch)
        defer { removeTemporaryPlaybook(path) }
        let directory = (path as NSString).deletingLastPathComponent
        let loop = directory + "/loop.yaml"
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: loop)
        let looped = try CLI.run(["validate", loop])
        #expect(looped.status == 64)
        #expect(looped.stderr.contains("\(loop): too many levels of symbolic links"), "\(looped.stderr)")
        #expect(looped.stderr.contains("(ELOOP)"), "\(looped.stderr)")
        let fifo = directory + "/fifo.yaml"
        let made = Process()
        made.executableURL = URL(fileURLWithPath: "/usr/bin/mkfifo")
        made.arguments = [fifo]
        try made.run()
        made.waitUntilExit()
        let piped = try CLI.run(["validate", fifo])
        #expect(piped.status == 65)
        #expect(
            piped.stderr.contains("\(fifo):1:1: error: cannot read playbook: a FIFO (named pipe), not a regular file"),
            "\(piped.stderr)")
        // Just inside: the regular file beside them is valid.
        #expect(try CLI.run(["validate", path]).status == 0)
    }
}
