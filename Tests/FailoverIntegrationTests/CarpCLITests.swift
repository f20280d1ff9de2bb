import Foundation
import Testing

/// Seed 004 end to end with the built binary: the password in no file of the results, a wrong
/// expected master fails naming the actual one and the timeline, and a SIGKILLed run with ucarp
/// peers leaves nothing after `failover cleanup`.
@Suite(
    "CARP peers, end to end", .serialized,
    .enabled(if: IntegrationGate.enabled, "needs root and FAILOVER_INTEGRATION=1"))
struct CarpCLITests {
    /// The password of every Playbooks/seed-004 playbook.
    static let password = "carppassword"

    /// Every regular file under `directory` (results are small).
    static func files(under directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        return walker.compactMap { $0 as? String }.map { directory + "/" + $0 }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    static func ucarpProcesses(mentioning marker: String) -> [String] {
        HostSystem.processes(mentioning: marker).filter { $0.contains("ucarp") }
    }

    @Test("kill -9 of the master: the run passes; the password is in no file of the results", .timeLimit(.minutes(2)))
    func passwordNowhere() throws {
        let results = try FailoverBinary.scratch()
        let result = try FailoverBinary.run([
            "run", "--vm", "never", "--results", results, "Playbooks/seed-004/kill-orphan.yaml",
        ])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("1 passed, 0 failed"), "\(result.stdout)")
        let files = Self.files(under: results)
        // The peers' scripts and output are there, and the reports: something was looked at.
        #expect(files.contains { $0.hasSuffix("/peers/carp-outside-r1.stderr") }, "\(files)")
        #expect(files.contains { $0.hasSuffix("/report.json") }, "\(files)")
        for file in files {
            let text = String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self)
            #expect(!text.contains(Self.password), "\(file) contains the CARP password")
        }
        #expect(!result.stdout.contains(Self.password) && !result.stderr.contains(Self.password))
    }

    @Test("a wrong expected master fails (exit 1) naming the actual master and the timeline", .timeLimit(.minutes(2)))
    func wrongMaster() throws {
        let results = try FailoverBinary.scratch()
        let result = try FailoverBinary.run([
            "run", "--vm", "never", "--results", results, "Playbooks/wrong/carp-wrong-master.yaml",
        ])
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("expected r2 within 4000 ms, was r1; timeline: "), "\(result.stdout)")
        #expect(result.stdout.contains("r1 MASTER at"), "\(result.stdout)")
        #expect(result.stdout.contains("r1 +VIP at"), "\(result.stdout)")
    }

    @Test(
        "a SIGKILLed run with ucarp peers: the peers die with it, cleanup removes the namespaces, no ucarp left",
        .timeLimit(.minutes(2)))
    func killedRunCleanup() throws {
        let results = try FailoverBinary.scratch()
        let runID = String(format: "%06x", UInt32.random(in: 0...0xFF_FFFF))
        let killed = try FailoverBinary.start([
            "run", "--vm", "never", "--run-id", runID, "--results", results, "Playbooks/seed-004/election.yaml",
        ])
        // Peers run once their namespaces exist and a little later; wait for both ucarp processes.
        var peers: [String] = []
        for _ in 0..<400 {
            peers = Self.ucarpProcesses(mentioning: results)
            if peers.count == 2 { break }
            usleep(10_000)
        }
        #expect(peers.count == 2, "\(peers)")
        kill(killed.0.processIdentifier, SIGKILL)
        _ = FailoverBinary.finish(killed)
        let cleanup = try FailoverBinary.run(["cleanup"])
        #expect(cleanup.status == 0, "\(cleanup.stdout)\n\(cleanup.stderr)")
        #expect(try HostSystem.namespaces(withRunID: runID).isEmpty, "\(cleanup.stdout)")
        for _ in 0..<200 where !Self.ucarpProcesses(mentioning: results).isEmpty { usleep(10_000) }
        #expect(Self.ucarpProcesses(mentioning: results).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: "/run/failover/owners/\(runID)"))
    }
}

/// A probe addressed to the VIP (client → VIP) with `--witness`: the takeover as traffic sees it.
@Suite(
    "CARP VIP probe, end to end", .serialized,
    .enabled(if: IntegrationGate.enabled, "needs root and FAILOVER_INTEGRATION=1"))
struct CarpVIPProbeTests {
    @Test(
        "graceful stop: r1 received, then r2; the outage is r2's takeover (3.17–5.17 s + 1 s); the members' captures agree",
        .timeLimit(.minutes(2)))
    func gracefulStopProbe() throws {
        let results = try FailoverBinary.scratch()
        let result = try FailoverBinary.run([
            "run", "--vm", "never", "--witness", "--results", results, "Playbooks/seed-004/graceful-stop.yaml",
        ])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let report = try #require(
            CarpCLITests.files(under: results).first { $0.hasSuffix("/report.json") }, "no report.json")
        let data = try #require(FileManager.default.contents(atPath: report))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let runs = try #require(json["runs"] as? [[String: Any]])
        let playbooks = try #require(runs.first?["playbooks"] as? [[String: Any]])
        let probes = try #require(playbooks.first?["probes"] as? [[String: Any]])
        let probe = try #require(probes.first { $0["probe"] as? String == "to-vip" }, "\(probes)")
        #expect(probe["destinationAddress"] as? String == "198.18.0.1")
        let received = try #require(probe["receivedPackets"] as? Int)
        let byMember = try #require(probe["receivedByMember"] as? [String: Int], "\(probe)")
        // Both members received (r1 before the stop, r2 after its takeover), nobody twice.
        let r1 = try #require(byMember["r1"])
        let r2 = try #require(byMember["r2"])
        #expect(r1 > 0 && r2 > 0, "\(byMember)")
        #expect(r1 + r2 == received)
        #expect(probe["duplicatedPackets"] as? Int == 0)
        #expect(probe["lostBeforeFirstFault"] as? Int == 0)
        // The stop's window: one loss period, the takeover. r2's master-down timer runs out 4.170 s
        // after r1's last advert, which was at most 1 s before the stop: 3.17–4.17 s, up to 1 s
        // later when ucarp's libpcap handed r2 that advert late (CAPTURE_TIMEOUT 1000 ms), + 1 s
        // for the daemons and the scripts; less r1's down-script time at the start (≤ 170 ms).
        let windows = try #require(probe["windows"] as? [[String: Any]])
        #expect(windows.count == 1)
        let window = try #require(windows.first)
        #expect(window["lossPeriodCount"] as? Int == 1)
        let outage = try #require(
            (window["timestampMethod"] as? [String: Any])?["nanoseconds"] as? Int, "\(window)")
        #expect(outage >= 3_000_000_000 && outage <= 6_170_000_000, "outage \(outage) ns")
        // The witness: one capture per member (what its kernel delivered), merged, agrees.
        let witness = try #require(probe["witness"] as? [String: Any], "\(probe)")
        #expect(witness["agrees"] as? Bool == true, "\(witness)")
        #expect(witness["matchingPackets"] as? Int == received, "\(witness)")
        let gap = try #require(witness["largestGapNanoseconds"] as? Int)
        #expect(abs(gap - outage) <= 2_000_000, "capture gap \(gap) ns, probe outage \(outage) ns")
        let captures = CarpCLITests.files(under: results).filter {
            $0.contains("/captures/witness-graceful-stop-to-vip-at-")
        }
        #expect(captures.count == 2, "\(captures)")
    }
}
