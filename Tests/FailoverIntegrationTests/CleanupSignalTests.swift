import Foundation
import Testing

/// `failover cleanup` touches only what dead runs recorded; SIGINT/SIGTERM/SIGKILL on the host and in
/// the kernel lab leave nothing behind, and an interrupted run never exits 0.
@Suite(
    "cleanup and signals, end to end", .serialized,
    .enabled(if: IntegrationGate.enabled, "needs root and FAILOVER_INTEGRATION=1"))
struct CleanupSignalTests {
    static let ownersDirectory = "/run/failover/owners"

    // MARK: cleanup

    @Test(
        "cleanup leaves a foreign fo<hex>-x namespace and the process in it alone (and lists it), removes a SIGKILLed run's",
        .timeLimit(.minutes(2)))
    func foreignNamespaceSurvives() throws {
        let foreign = "fo\(String(format: "%06x", UInt32.random(in: 0...0xFF_FFFF)))-x"
        _ = try HostSystem.output(["/usr/sbin/ip", "netns", "add", foreign])
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        sleeper.arguments = ["netns", "exec", foreign, "/bin/sleep", "300"]
        try sleeper.run()
        defer {
            // This test's own foreign objects: the sleeper (a PID it started) and the namespace.
            if sleeper.isRunning { kill(sleeper.processIdentifier, SIGKILL) }
            sleeper.waitUntilExit()
            _ = try? HostSystem.output(["/usr/sbin/ip", "netns", "delete", foreign])
        }
        for _ in 0..<200 where Self.command(of: sleeper.processIdentifier) != "sleep" { usleep(5_000) }
        #expect(Self.command(of: sleeper.processIdentifier) == "sleep")

        let playbook = try temporaryHostPlaybook(longHold)
        let results = try FailoverBinary.scratch()
        let killed = try FailoverBinary.start([
            "run", "--vm", "never", "--run-id", "0c1ea1", "--results", results, playbook,
        ])
        try Self.waitForNamespaces("0c1ea1", count: 3)
        kill(killed.0.processIdentifier, SIGKILL)
        _ = FailoverBinary.finish(killed)

        let cleanup = try FailoverBinary.run(["cleanup"])
        #expect(cleanup.status == 0, "\(cleanup.stdout)\n\(cleanup.stderr)")
        #expect(try HostSystem.namespaces(withRunID: "0c1ea1").isEmpty, "\(cleanup.stdout)")
        #expect(cleanup.stdout.contains("removed namespace fo0c1ea1-sw"), "\(cleanup.stdout)")
        #expect(!FileManager.default.fileExists(atPath: "\(Self.ownersDirectory)/0c1ea1"))
        // The foreign namespace and its process: still there, listed, untouched.
        #expect(try HostSystem.output(["/usr/sbin/ip", "netns", "list"]).contains(foreign))
        #expect(sleeper.isRunning, "cleanup killed a process it did not start")
        #expect(cleanup.stdout.contains("left alone: namespace \(foreign)"), "\(cleanup.stdout)")
        #expect(!cleanup.stdout.contains("removed namespace \(foreign)"))
    }

    // MARK: host signals

    @Test(
        "SIGINT 0-60 ms after start: never exit 0, no namespace, no owner record left",
        .timeLimit(.minutes(3)))
    func earlySIGINT() throws {
        let playbook = "Playbooks/host/carrier-pull.yaml"
        for (index, offset) in [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60].enumerated() {
            let runID = String(format: "0e51%02x", index)
            let results = try FailoverBinary.scratch()
            let started = try FailoverBinary.start([
                "run", "--vm", "never", "--run-id", runID, "--results", results, playbook,
            ])
            usleep(useconds_t(offset * 1000))
            let pid = started.0.processIdentifier
            let aliveAtSignal = Self.isRunning(pid)
            kill(pid, SIGINT)
            let result = FailoverBinary.finish(started)
            if aliveAtSignal {
                #expect(result.status != 0, "SIGINT at \(offset) ms: exit 0\n\(result.stdout)\n\(result.stderr)")
            }
            #expect(try HostSystem.namespaces(withRunID: runID).isEmpty, "SIGINT at \(offset) ms left namespaces")
            #expect(
                !FileManager.default.fileExists(atPath: "\(Self.ownersDirectory)/\(runID)"),
                "SIGINT at \(offset) ms left its owner record")
            // Nor one under another id (the kernel probe's namespace has its own).
            #expect(Self.ownerRecords(of: pid).isEmpty, "SIGINT at \(offset) ms left \(Self.ownerRecords(of: pid))")
        }
    }

    @Test(
        "SIGINT at any moment of a short run, up to its last step and report: never exit 0; errored in the report",
        .timeLimit(.minutes(3)))
    func sigintAnywhere() throws {
        let playbook = "Playbooks/host/carrier-pull.yaml"
        // How long the whole run takes here, to spread the signals over it.
        let clock = ContinuousClock()
        let plain = try FailoverBinary.scratch()
        let start = clock.now
        let reference = try FailoverBinary.run(["run", "--vm", "never", "--results", plain, playbook])
        let length = clock.now - start
        try #require(reference.status == 0, "\(reference.stderr)")
        var interrupted = 0
        let steps = 16
        for index in 0..<steps {
            let offset = length * Double(index + 1) / Double(steps + 1)
            let runID = String(format: "0e52%02x", index)
            let results = try FailoverBinary.scratch()
            let started = try FailoverBinary.start([
                "run", "--vm", "never", "--run-id", runID, "--results", results, playbook,
            ])
            Thread.sleep(forTimeInterval: Self.seconds(offset))
            let pid = started.0.processIdentifier
            let aliveAtSignal = Self.isRunning(pid)
            kill(pid, SIGINT)
            let result = FailoverBinary.finish(started)
            #expect(try HostSystem.namespaces(withRunID: runID).isEmpty)
            #expect(Self.ownerRecords(of: pid).isEmpty, "SIGINT at \(offset) left \(Self.ownerRecords(of: pid))")
            guard aliveAtSignal else { continue }
            interrupted += 1
            #expect(result.status != 0, "SIGINT at \(offset): exit 0\n\(result.stdout)\n\(result.stderr)")
            if result.status == 70, result.stdout.contains("results:") {
                // The report was written: a run cut short is not reported as a clean pass of everything.
                #expect(
                    result.stderr.contains("interrupted by SIGINT") || result.stdout.contains("errored"),
                    "\(result.stdout)\n\(result.stderr)")
            }
        }
        #expect(interrupted >= steps / 2, "only \(interrupted) of \(steps) signals reached a running process")
    }

    // MARK: kernel lab

    static let bondHold = """
        name: bond hold (for signal tests)
        topology:
          switches: [sw1]
          hosts:
            server:
              cables: {eth0: sw1, eth1: sw1}
              bonds:
                bond0: {mode: active-backup, miimon: 100, slaves: [eth0, eth1]}
            client:
              cables: {eth0: sw1}
        steps:
          - expect: {carrier: {interface: server/bond0, is: up, within: auto}}
          - hold: 120s

        """

    /// Starts a lab run (TCG, no KVM probe) of `first` (if any) then `bondHold`, sends `signal` once
    /// `after` has passed since qemu appeared (and, with `first`, since the guest's partial record
    /// shows `first` finished), and checks the state it leaves: exit 70 within `bound` of the signal,
    /// no qemu, no job directory, no owner record, report.json with `expected` verdicts, the
    /// interrupted playbook errored with "interrupted".
    private func labSignal(
        _ signal: Int32, runID: String, first: String? = nil, after: Duration, bound: Duration, expected: [String]
    ) throws {
        let playbook = try temporaryHostPlaybook(Self.bondHold)
        let results = try FailoverBinary.scratch()
        let temporary = try FailoverBinary.scratch()
        let started = try FailoverBinary.start(
            [
                "run", "--vm", "always", "--accelerator", "tcg", "--run-id", runID, "--results", results, "--json",
            ] + (first.map { [$0] } ?? []) + [playbook], environment: ["TMPDIR": temporary])
        let clock = ContinuousClock()
        for _ in 0..<1200 where HostSystem.processes(mentioning: results).filter({ $0.contains("qemu") }).isEmpty {
            usleep(25_000)
        }
        try #require(!HostSystem.processes(mentioning: results).filter { $0.contains("qemu") }.isEmpty)
        try #require(try FileManager.default.contentsOfDirectory(atPath: temporary).count == 1)
        if first != nil {
            // The guest writes its record after each playbook: wait for the first one.
            func partial() -> Bool {
                let runs = (try? FileManager.default.contentsOfDirectory(atPath: results)) ?? []
                return runs.contains { run in
                    let files = (try? FileManager.default.contentsOfDirectory(atPath: "\(results)/\(run)")) ?? []
                    return files.contains { $0.hasPrefix("record-") && $0.hasSuffix(".json") }
                }
            }
            for _ in 0..<2400 where !partial() { usleep(25_000) }
            try #require(partial(), "the guest never wrote a partial record")
        }
        Thread.sleep(forTimeInterval: Self.seconds(after))
        let signalled = clock.now
        kill(started.0.processIdentifier, signal)
        let result = FailoverBinary.finish(started)
        let exited = clock.now - signalled
        print("lab \(signal == SIGINT ? "SIGINT" : "SIGTERM") after \(after): harness exited after \(exited)")
        #expect(result.status == 70, "\(result.stdout)\n\(result.stderr)")
        #expect(exited < bound, "took \(exited) to stop")
        #expect(HostSystem.processes(mentioning: results).isEmpty, "qemu left running")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).isEmpty, "job directory left")
        #expect(!FileManager.default.fileExists(atPath: "\(Self.ownersDirectory)/\(runID)"))
        let report = try #require(FileManager.default.contents(atPath: results + "/latest/report.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: report) as? [String: Any])
        #expect(json["verdict"] as? String == "errored", "\(json)")
        let runs = try #require(json["runs"] as? [[String: Any]])
        let playbooks = runs.flatMap { ($0["playbooks"] as? [[String: Any]]) ?? [] }
        #expect(playbooks.map { $0["verdict"] as? String } == expected, "\(playbooks)")
        #expect((playbooks.last?["message"] as? String)?.contains("interrupted") == true, "\(playbooks)")
    }

    @Test(
        "kernel lab: SIGINT while the guest holds a bond stops qemu; the report keeps the finished playbook, errors the interrupted one; exit 70"
    )
    func labSIGINT() throws {
        try labSignal(
            SIGINT, runID: "0e5a01", first: try temporaryHostPlaybook(broadcastMode), after: .seconds(3),
            bound: .seconds(3), expected: ["passed", "errored"])
    }

    @Test("kernel lab: SIGTERM while the guest boots stops qemu, writes the report (errored), exit 70")
    func labSIGTERM() throws {
        try labSignal(SIGTERM, runID: "0e5a02", after: .seconds(2), bound: .seconds(3), expected: ["errored"])
    }

    @Test("kernel lab: SIGKILL of the harness takes qemu with it; `failover cleanup` removes the job directory")
    func labSIGKILLThenCleanup() throws {
        let playbook = try temporaryHostPlaybook(Self.bondHold)
        let results = try FailoverBinary.scratch()
        let temporary = try FailoverBinary.scratch()
        let started = try FailoverBinary.start(
            [
                "run", "--vm", "always", "--accelerator", "tcg", "--run-id", "0e5a03", "--results", results,
                playbook,
            ], environment: ["TMPDIR": temporary])
        for _ in 0..<400 where HostSystem.processes(mentioning: results).filter({ $0.contains("qemu") }).isEmpty {
            usleep(25_000)
        }
        try #require(!HostSystem.processes(mentioning: results).filter { $0.contains("qemu") }.isEmpty)
        let jobDirectories = try FileManager.default.contentsOfDirectory(atPath: temporary)
        #expect(jobDirectories.count == 1 && jobDirectories.allSatisfy { $0.hasPrefix("failover-vm-") })
        let record = try String(contentsOfFile: "\(Self.ownersDirectory)/0e5a03", encoding: .utf8)
        #expect(record.contains("+dir \(temporary)/failover-vm-"), "\(record)")
        #expect(record.contains("+proc "), "\(record)")
        Thread.sleep(forTimeInterval: 3)
        let clock = ContinuousClock()
        let killedAt = clock.now
        kill(started.0.processIdentifier, SIGKILL)
        _ = FailoverBinary.finish(started)
        // qemu dies with its parent (PR_SET_PDEATHSIG).
        while !HostSystem.processes(mentioning: results).isEmpty, clock.now - killedAt < .seconds(5) {
            usleep(10_000)
        }
        let qemuGone = clock.now - killedAt
        print("lab SIGKILL: qemu gone after \(qemuGone)")
        #expect(HostSystem.processes(mentioning: results).isEmpty, "qemu outlived its killed parent")
        #expect(qemuGone < .seconds(1))
        // The job directory stays until cleanup, which finds it in the owner record.
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).count == 1)
        let cleanup = try FailoverBinary.run(["cleanup"], environment: ["TMPDIR": temporary])
        let cleaned = clock.now - killedAt
        print("lab SIGKILL + cleanup: clean after \(cleaned)")
        #expect(cleanup.status == 0, "\(cleanup.stdout)\n\(cleanup.stderr)")
        #expect(cleanup.stdout.contains("removed directory \(temporary)/failover-vm-"), "\(cleanup.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "\(Self.ownersDirectory)/0e5a03"))
        #expect(try HostSystem.namespaces(withRunID: "0e5a03").isEmpty)
    }

    // MARK: helpers

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func command(of pid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Owner records (any run id) whose owner is process `pid`.
    static func ownerRecords(of pid: Int32) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: ownersDirectory)) ?? []
        return files.filter { file in
            guard let text = try? String(contentsOfFile: "\(ownersDirectory)/\(file)", encoding: .utf8) else {
                return false
            }
            return text.split(separator: " ").first == "\(pid)"
        }
    }

    /// Alive and not a zombie.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].dropFirst().first
        return state != "Z"
    }

    static func waitForNamespaces(_ runID: String, count: Int) throws {
        for _ in 0..<200 {
            if try HostSystem.namespaces(withRunID: runID).count >= count { return }
            usleep(50_000)
        }
        Issue.record("namespaces of run \(runID) never appeared")
    }
}
