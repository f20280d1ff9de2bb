import FailoverCore
import FailoverLinux
import FailoverModel
import FailoverNetlink
import Foundation
import Logging
import Testing

/// Two hosts on a switch plus a host-to-host cable, on the host kernel (no bonds).
func backendTestPlaybook() -> Playbook {
    let topology = Topology(
        switches: [Switch(name: "sw1")],
        hosts: [
            Host(
                name: "h1", interfaces: ["eth0", "eth1"],
                addresses: [
                    InterfaceAddresses(
                        interface: "eth0",
                        addresses: [InterfaceAddress("198.18.0.1/24")!, InterfaceAddress("2001:2::1/64")!]),
                    InterfaceAddresses(interface: "eth1", addresses: [InterfaceAddress("198.18.1.1/30")!]),
                ],
                macs: ["eth0": MACAddress("02:00:00:00:01:01")!],
                routes: [
                    Route(
                        destination: InterfaceAddress("198.19.0.0/16")!, family: .ipv4,
                        via: IPAddress("198.18.0.2"), device: nil)
                ]),
            Host(
                name: "h2", interfaces: ["eth0"],
                addresses: [InterfaceAddresses(interface: "eth0", addresses: [InterfaceAddress("198.18.0.2/24")!])]),
            Host(
                name: "h3", interfaces: ["eth0"],
                addresses: [InterfaceAddresses(interface: "eth0", addresses: [InterfaceAddress("198.18.1.2/30")!])]),
        ],
        cables: [
            Cable(a: InterfaceRef(host: "h1", interface: "eth0"), b: .switch("sw1")),
            Cable(a: InterfaceRef(host: "h2", interface: "eth0"), b: .switch("sw1")),
            Cable(
                a: InterfaceRef(host: "h1", interface: "eth1"), b: .host(InterfaceRef(host: "h3", interface: "eth0"))),
        ])
    return Playbook(name: "backend-test", topology: topology, steps: [], file: "test")
}

private func backendRootSnapshot() throws -> [String] {
    try [["-j", "link"], ["-j", "addr"], ["-j", "route"], ["-6", "-j", "route"]].map { arguments in
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}

private func backendNamespaces(_ names: RunNames) -> [String] {
    NetworkNamespace.list().filter { $0.hasPrefix(names.namespace("")) }
}

@Suite(.serialized, .enabled(if: IntegrationGate.enabled, "needs root and FAILOVER_INTEGRATION=1"))
struct BackendIntegrationTests {
    let logger = Logger(label: "test.backend")

    @Test("build, pull/plug, switch_down, blackhole, teardown on the host kernel")
    func buildAndFaults() async throws {
        let before = try backendRootSnapshot()
        let names = RunNames.random()
        let backend = NamespaceBackend(logger: logger)
        let log = ObservationLog()
        let playbook = backendTestPlaybook()
        do {
            try await backend.build(playbook, names: names, log: log)
            #expect(backendNamespaces(names).count == 4)

            try backendUDPReachable(from: names.namespace("h1"), to: names.namespace("h2"), [198, 18, 0, 2])
            try backendUDPReachable(from: names.namespace("h1"), to: names.namespace("h3"), [198, 18, 1, 2])

            let h1eth0 = InterfaceRef(host: "h1", interface: "eth0")
            let initial = try await backend.state(of: h1eth0)
            #expect(initial.exists && initial.adminUp && initial.carrier)
            #expect(initial.mac == MACAddress("02:00:00:00:01:01"))

            // pull: far end (switch port) down -> carrier down on the near end, observed after the ack.
            // The kernel changes carrier inside the sendmsg call of the request, so the observer's
            // thread can stamp the event before the requesting thread reads the ack: the
            // observation lies after the request was sent, and near the ack (measured: from a few
            // ms before to ~1 ms after it on this 2-core machine).
            let countBefore = log.count
            let sent = LinuxMonotonicClock().now()
            let ack = try await backend.perform(.pull(h1eth0), in: playbook, names: names)
            let down = try await backendWaitForRecord(log, after: countBefore) {
                $0.host == "h1" && $0.interface == "eth0" && $0.kind == "link" && $0.detail.hasPrefix("carrier down")
            }
            #expect(down.time >= sent, "observation \(down.time) before the request was sent \(sent)")
            #expect(ack >= sent)
            #expect(down.time.duration(since: ack) < .milliseconds(500))
            print("pull: request→ack \(ack.duration(since: sent)), ack→observation \(down.time.duration(since: ack))")
            #expect(down.detail.contains("admin up"))
            let pulled = try await backend.state(of: h1eth0)
            #expect(pulled.adminUp && !pulled.carrier)

            // plug restores carrier.
            let countPlug = log.count
            _ = try await backend.perform(.plug(h1eth0), in: playbook, names: names)
            _ = try await backendWaitForRecord(log, after: countPlug) {
                $0.host == "h1" && $0.interface == "eth0" && $0.kind == "link" && $0.detail.hasPrefix("carrier up")
            }
            #expect(try await backend.state(of: h1eth0).carrier)

            // switch_down keeps carrier on every port but stops forwarding.
            _ = try await backend.perform(.switchDown("sw1"), in: playbook, names: names)
            #expect(try await backend.state(of: h1eth0).carrier)
            #expect(try await backend.state(of: InterfaceRef(host: "h2", interface: "eth0")).carrier)
            #expect(throws: (any Error).self) {
                try backendUDPReachable(
                    from: names.namespace("h1"), to: names.namespace("h2"), [198, 18, 0, 2], timeoutMS: 200)
            }
            _ = try await backend.perform(.switchUp("sw1"), in: playbook, names: names)
            try backendUDPReachable(from: names.namespace("h1"), to: names.namespace("h2"), [198, 18, 0, 2])

            // down/up on the host-to-host cable end.
            let h1eth1 = InterfaceRef(host: "h1", interface: "eth1")
            _ = try await backend.perform(.down(h1eth1), in: playbook, names: names)
            #expect(try await !backend.state(of: InterfaceRef(host: "h3", interface: "eth0")).carrier)
            _ = try await backend.perform(.up(h1eth1), in: playbook, names: names)

            // blackhole keeps carrier (switch port disabled).
            _ = try await backend.perform(.blackhole(h1eth0), in: playbook, names: names)
            #expect(try await backend.state(of: h1eth0).carrier)
            #expect(throws: (any Error).self) {
                try backendUDPReachable(
                    from: names.namespace("h1"), to: names.namespace("h2"), [198, 18, 0, 2], timeoutMS: 200)
            }
            _ = try await backend.perform(.restore(h1eth0), in: playbook, names: names)
            try await backendWaitReachable(from: names.namespace("h1"), to: names.namespace("h2"), [198, 18, 0, 2])
            // A host-to-host cable has no switch port to disable: the plan says so (the loader
            // rejects such a step) and executing it is an error that changes nothing.
            let hostToHost = RunPlanCompiler.operations(for: .blackhole(h1eth1), in: playbook.topology, names: names)
            #expect(hostToHost.map(\.operation) == [.unsupported("blackhole needs a cable to a switch")])
            await #expect(throws: BackendError.self) { _ = try await backend.perform(hostToHost) }
            try backendUDPReachable(from: names.namespace("h1"), to: names.namespace("h3"), [198, 18, 1, 2])
            print("observations: \(log.records.map { "\($0.host)/\($0.interface) \($0.kind): \($0.detail)" })")

            #expect(try await backend.state(of: InterfaceRef(host: "h1", interface: "nope")) == .missing)
        } catch {
            _ = await backend.teardown()
            throw error
        }
        let problems = await backend.teardown()
        #expect(problems.isEmpty, "\(problems)")
        #expect(backendNamespaces(names).isEmpty)
        #expect(await backend.teardown().isEmpty)  // idempotent
        #expect(try backendRootSnapshot() == before)
    }

    @Test("two backends with different run names build at once without colliding")
    func parallelBackends() async throws {
        let first = NamespaceBackend(logger: logger)
        let second = NamespaceBackend(logger: logger)
        let names1 = RunNames.random()
        let names2 = RunNames(runID: names1.runID == "abcdef" ? "fedcba" : "abcdef")
        async let a: Void = first.build(backendTestPlaybook(), names: names1, log: ObservationLog())
        async let b: Void = second.build(backendTestPlaybook(), names: names2, log: ObservationLog())
        var failures: [String] = []
        do { try await a } catch { failures.append("first: \(error)") }
        do { try await b } catch { failures.append("second: \(error)") }
        #expect(failures.isEmpty, "\(failures)")
        #expect(backendNamespaces(names1).count == 4)
        #expect(backendNamespaces(names2).count == 4)
        #expect(await first.teardown().isEmpty)
        #expect(await second.teardown().isEmpty)
        #expect(backendNamespaces(names1).isEmpty && backendNamespaces(names2).isEmpty)
    }

    @Test("kernel probe and privileges on this host")
    func probe() {
        let capabilities = KernelProbe.capabilities(logger: logger)
        #expect(!capabilities.release.isEmpty)
        #expect(Privileges.problem() == nil)
        #expect(NetworkNamespace.list().allSatisfy { !$0.hasSuffix("-probe") || !RunNames.isRunNamespace($0) })
    }

    @Test(
        "leftover cleanup removes what a dead owner recorded (its process only on PID + start time), leaves an unrecorded namespace"
    )
    func leftovers() throws {
        let names = RunNames.random()
        let recorded = names.namespace("left")
        let unrecorded = names.namespace("foreign")
        func sleeper(in namespace: String) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", namespace, "/bin/sleep", "30"]
            try process.run()
            // Wait until the sleeper is inside the namespace (ip execs sleep: same PID).
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline {
                if let comm = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/comm", encoding: .utf8),
                    comm.hasPrefix("sleep")
                {
                    break
                }
                usleep(5000)
            }
            return process
        }
        close(try NetworkNamespace.create(recorded))
        close(try NetworkNamespace.create(unrecorded))
        let ours = try sleeper(in: recorded)
        let foreign = try sleeper(in: unrecorded)
        let stranger = try sleeper(in: recorded)  // in the recorded namespace, but not recorded itself
        defer {
            for process in [ours, foreign, stranger] where process.isRunning {
                kill(process.processIdentifier, SIGKILL)
            }
            _ = try? NetworkNamespace.delete(unrecorded)
            _ = try? NetworkNamespace.delete(recorded)
        }
        func startTime(_ pid: Int32) throws -> String {
            let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
            let rest = try #require(stat.split(separator: ")").last).split(separator: " ")
            return String(rest[19])
        }
        // A record whose owner is dead (start time 1 matches no live process of that PID).
        let path = "\(RunOwnership.directory)/\(names.runID)"
        try FileManager.default.createDirectory(atPath: RunOwnership.directory, withIntermediateDirectories: true)
        try Data(
            """
            \(getpid()) 1
            +netns \(recorded)
            +proc \(ours.processIdentifier) \(try startTime(ours.processIdentifier))
            +proc \(foreign.processIdentifier) 1

            """.utf8
        ).write(to: URL(fileURLWithPath: path))
        let outcome = LeftoverCleanup.run(logger: logger)
        ours.waitUntilExit()
        #expect(outcome.removed.contains("namespace \(recorded)"), "\(outcome)")
        #expect(outcome.removed.contains("process \(ours.processIdentifier) (sleep)"), "\(outcome)")
        #expect(!NetworkNamespace.list().contains(recorded))
        #expect(!FileManager.default.fileExists(atPath: path))
        // Same PID, other start time: not ours. Unrecorded process in our namespace: left, listed.
        #expect(foreign.isRunning)
        #expect(stranger.isRunning)
        #expect(outcome.leftAlone.contains { $0.hasPrefix("process \(stranger.processIdentifier) ") }, "\(outcome)")
        #expect(NetworkNamespace.list().contains(unrecorded))
        #expect(outcome.leftAlone.contains { $0.hasPrefix("namespace \(unrecorded):") }, "\(outcome)")
        let again = LeftoverCleanup.run(logger: logger)
        #expect(again.removed.isEmpty, "\(again)")
    }
}

/// Waits (on the log's own notification, bounded) for a record matching `predicate`.
func backendWaitForRecord(
    _ log: ObservationLog, after count: Int, timeout: Duration = .seconds(5),
    _ predicate: @escaping @Sendable (ObservationRecord) -> Bool
) async throws -> ObservationRecord {
    try await withThrowingTaskGroup(of: ObservationRecord?.self) { group in
        group.addTask {
            var seen = count
            while !Task.isCancelled {
                let records = log.records
                if records.count > seen, let match = records[seen...].first(where: predicate) { return match }
                seen = records.count
                await log.waitForRecord(after: seen)
            }
            return nil
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        guard let first else {
            Issue.record("no matching observation within \(timeout); log: \(log.records)")
            throw CancellationError()
        }
        return first
    }
}

/// Sends one UDP datagram from namespace `from` to `address`:40000 where a socket in `to` waits.
/// - Throws: when nothing arrives within `timeoutMS`.
func backendUDPReachable(from: String, to: String, _ address: [UInt8], timeoutMS: Int = 2000) throws {
    struct NotReceived: Error {}
    let toFD = try NetworkNamespace.open(to)
    defer { close(toFD) }
    let fromFD = try NetworkNamespace.open(from)
    defer { close(fromFD) }
    func sockaddrFor(_ bytes: [UInt8]) -> sockaddr_in {
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(40000).bigEndian
        sa.sin_addr.s_addr = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
        return sa
    }
    let receiver = try NamespaceThread.run(namespaceFD: toFD) { () throws -> Int32 in
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var sa = sockaddrFor(address)
        let status = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, status == 0 else { throw NotReceived() }
        return fd
    }
    defer { close(receiver) }
    let sender = try NamespaceThread.run(namespaceFD: fromFD) { () throws -> Int32 in
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw NotReceived() }
        return fd
    }
    defer { close(sender) }
    var target = sockaddrFor(address)
    let deadline = Date().addingTimeInterval(Double(timeoutMS) / 1000)
    while Date() < deadline {
        _ = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(sender, "x", 1, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var pfd = pollfd(fd: receiver, events: Int16(POLLIN), revents: 0)
        if poll(&pfd, 1, 50) == 1 { return }
    }
    throw NotReceived()
}

/// After `restore`, the bridge port needs its operstate up again before it forwards.
func backendWaitReachable(from: String, to: String, _ address: [UInt8]) async throws {
    try backendUDPReachable(from: from, to: to, address, timeoutMS: 3000)
}
