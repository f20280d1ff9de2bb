internal import CNetShims
import FailoverCore
import FailoverSystem
import Foundation
import Logging
import Synchronization
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A tcpdump child process capturing a probe's UDP port on one interface inside a namespace
/// (`ip netns exec NS tcpdump ...`; ip execs tcpdump, so the PID is tcpdump's), run by the
/// `SupervisedProcess` supervisor: stopped with SIGINT (tcpdump flushes and exits), SIGKILL after 5 s.
///
/// tcpdump writes into the temporary directory (`capturePath`) and the file is moved to `path` when
/// the capture stops: with `-U` every packet is a write, and in the kernel lab the results directory
/// is a 9p share where each write is a round trip through the emulated machine (a 15 000-packet
/// capture took 40 s to drain there; on the guest's tmpfs it keeps up).
///
/// With `nflogGroup` (a probe to a CARP VIP) it captures what the namespace's kernel delivers
/// locally instead of what reaches the interface: an nftables rule in the input hook logs the
/// port's datagrams to that NFLOG group and tcpdump reads `nflog:GROUP`. A member that no longer
/// holds the VIP still receives frames sent to its MAC (the client's ARP entry is not updated
/// yet) and drops them in routing: they reach the interface, never the input hook.
final class PacketCapture: Sendable {
    let namespace: String
    let interface: String
    /// Where the capture ends up (after `stop()`): `name` in `directory`, or `name-2`, `name-3`, …
    /// when that name is taken (an existing file is never replaced).
    var path: String { finalPath.withLock { $0 } }
    private let finalPath: Mutex<String>
    private let directory: SafeDirectory
    private let name: String
    /// Where tcpdump writes while it runs.
    let capturePath: String
    let pid: pid_t
    private let process: SupervisedProcess
    private let stderrPath: String
    private let logger: Logger
    private let stopped = Mutex<Outcome?>(nil)

    static let ipPath = "/usr/sbin/ip"
    static let tcpdumpCandidates = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"]

    struct Outcome: Sendable {
        var exitStatus: Int32
        /// From tcpdump's "N packets dropped by kernel" line.
        var droppedByKernel: Int?
    }

    /// The argv that runs the capture. `-Z root`: tcpdump keeps root instead of switching to its
    /// own user, which a minimal root file system (or a broken /etc/passwd) may lack — it then exits
    /// with "Couldn't find user 'tcpdump'" and captures nothing.
    static func arguments(tcpdump: String, namespace: String, interface: String, port: Int, path: String) -> [String] {
        [
            ipPath, "netns", "exec", namespace, tcpdump, "-Z", "root", "-i", interface, "-n", "-U", "--immediate-mode",
            "-B", "16384",
            "-s", "128",
            "--time-stamp-precision", "nano", "-w", path, "udp", "dst", "port", "\(port)",
        ]
    }

    /// nft commands (argv) that log the datagrams to `port` delivered locally to NFLOG `group`, one
    /// at a time (`queue-threshold 1`: no batching, so the capture keeps up).
    static func nflogRule(group: Int, port: Int) -> [[String]] {
        let table = "fo_witness_\(group)"
        return [
            [nftPath, "add", "table", "inet", table],
            [
                nftPath, "add", "chain", "inet", table, "input",
                "{ type filter hook input priority 0 ; policy accept ; }",
            ],
            [
                nftPath, "add", "rule", "inet", table, "input", "udp", "dport", "\(port)", "log", "group", "\(group)",
                "queue-threshold", "1",
            ],
        ]
    }

    static let nftPath = "/usr/sbin/nft"

    /// tcpdump on an NFLOG group (no BPF filter: the rule chose the datagrams; no nanosecond
    /// precision: NFLOG stamps are microseconds, read from the message by `PcapWitness`).
    static func nflogArguments(tcpdump: String, namespace: String, group: Int, path: String) -> [String] {
        [
            ipPath, "netns", "exec", namespace, tcpdump, "-Z", "root", "-i", "nflog:\(group)", "-n", "-U",
            "--immediate-mode", "-B", "16384", "-s", "512", "-w", path,
        ]
    }

    /// Starts tcpdump.
    /// - Throws: `ProbeError` when tcpdump is missing or cannot be spawned.
    init(
        namespace: String, interface: String, port: Int, directory: SafeDirectory, name: String, logger: Logger,
        nflogGroup: Int? = nil
    ) throws {
        guard let tcpdump = Self.tcpdumpCandidates.first(where: { access($0, X_OK) == 0 }) else {
            throw ProbeError(
                .invalidConfiguration, operation: "find tcpdump (needed by --witness)", object: directory.path(of: name)
            )
        }
        do {
            try SafeDirectory.validate(name, in: directory.path)
        } catch {
            throw ProbeError(.invalidConfiguration, operation: "witness file name: \(error)", object: interface)
        }
        self.namespace = namespace
        self.interface = interface
        self.directory = directory
        self.name = name
        self.finalPath = Mutex(directory.path(of: name))
        let temporary = FileManager.default.temporaryDirectory.path
        self.capturePath =
            "\(temporary)/\(RunNames.temporaryCapturePrefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pcap"
        self.stderrPath = capturePath + ".stderr"
        self.logger = logger
        if let nflogGroup {
            // The rule lives in the member's namespace and goes with it at teardown.
            for command in PacketCapture.nflogRule(group: nflogGroup, port: port) {
                let result: SupervisedProcess.RunResult
                do {
                    result = try SupervisedProcess.run(command, networkNamespace: namespace)
                } catch {
                    throw ProbeError(error)
                }
                guard result.status.rawValue == 0 else {
                    throw ProbeError(
                        .invalidConfiguration,
                        operation: "witness: \(command.joined(separator: " ")) (\(result.status); \(result.stderr))",
                        object: namespace)
                }
            }
        }
        let argv: [String]
        if let nflogGroup {
            argv = PacketCapture.nflogArguments(
                tcpdump: tcpdump, namespace: namespace, group: nflogGroup, path: capturePath)
        } else {
            argv = PacketCapture.arguments(
                tcpdump: tcpdump, namespace: namespace, interface: interface, port: port, path: capturePath)
        }
        // In the run's owner record before they exist, so `failover cleanup` removes them after a kill.
        RunResources.created(.file(capturePath))
        RunResources.created(.file(stderrPath))
        // The supervisor gives tcpdump default signal dispositions (failover ignores SIGINT/SIGTERM while
        // it runs, and tcpdump must stop on SIGINT) and no other descriptor: one inherited without
        // FD_CLOEXEC (a supervisor's exit-watch socket, say) held by a tcpdump that outlives a killed run
        // would hide our exit.
        do {
            process = try SupervisedProcess.start(
                ProcessSpec(argv: argv, descriptors: [0: .null, 1: .null, 2: .file(stderrPath)]),
                recorder: .runResources)
        } catch {
            RunResources.removed(.file(capturePath))
            RunResources.removed(.file(stderrPath))
            throw ProbeError(error)
        }
        pid = process.pid
        logger.debug(
            "witness capture started", metadata: ["pid": "\(pid)", "namespace": "\(namespace)", "file": "\(path)"])
    }

    /// Waits (up to 5 s) until tcpdump has written the pcap file header, i.e. is capturing.
    /// - Throws: `ProbeError` when tcpdump exits or does not start capturing in time.
    func waitUntilCapturing() async throws {
        let capturePath = capturePath
        do {
            try await process.waitUntilReady(
                .condition("tcpdump wrote the pcap header to \(capturePath)") {
                    var info = stat()
                    return stat(capturePath, &info) == 0 && info.st_size >= 24
                }, timeout: .seconds(5))
        } catch let error as SystemError where error.errno == .noSuchProcess {
            let status = await process.waitForExit()
            stopped.withLock { $0 = Outcome(exitStatus: status.rawValue, droppedByKernel: nil) }
            let text = stderrText()
            _ = unlink(stderrPath)
            _ = unlink(capturePath)
            forgetResources()
            throw ProbeError(
                .invalidState, operation: "tcpdump exited before capturing (\(status); \(text))", object: interface)
        } catch let error as SystemError where error.errno == .timedOut {
            _ = await stop()
            throw ProbeError(.invalidState, operation: "tcpdump did not start capturing in 5 s", object: interface)
        }
    }

    /// SIGINT, waits for the exit (SIGKILL after 5 s), reads tcpdump's drop count. Idempotent.
    /// - Parameter caughtUp: whether the file already holds everything expected (checked every 10 ms).
    ///   tcpdump exits on SIGINT without writing what is still queued in its capture buffer, so it
    ///   is signalled only when `caughtUp` says so, or the file has not grown for 1 s (at most 20 s).
    ///   A starved tcpdump (one emulated CPU in the kernel lab, shared with the probe) can stall for
    ///   well over 100 ms and still hold thousands of packets in its ring.
    func stop(caughtUp: () -> Bool = { false }) async -> Outcome {
        // Never signal a PID that was already reaped (it may belong to someone else by now).
        if let outcome = stopped.withLock({ $0 }) { return outcome }
        var lastSize: Int64 = -1
        var stableFor = 0
        for _ in 0..<2_000 where stableFor < 100 {
            var info = stat()
            let size = stat(capturePath, &info) == 0 ? Int64(info.st_size) : -1
            if size != lastSize, caughtUp() { break }
            stableFor = size == lastSize ? stableFor + 1 : 0
            lastSize = size
            try? await Task.sleep(for: .milliseconds(10))
        }
        let status = await process.stop(signal: SIGINT, grace: .seconds(5)).rawValue
        var text = stderrText()
        // tcpdump writes its closing statistics line last: a killed one has none (wait up to 2 s for it).
        for _ in 0..<200 where Self.droppedByKernel(in: text) == nil {
            try? await Task.sleep(for: .milliseconds(10))
            text = stderrText()
        }
        _ = unlink(stderrPath)
        moveIntoResults()
        forgetResources()
        let dropped = Self.droppedByKernel(in: text)
        logger.debug(
            "witness capture stopped", metadata: ["pid": "\(pid)", "dropped": "\(dropped.map(String.init) ?? "?")"])
        let outcome = Outcome(exitStatus: status, droppedByKernel: dropped)
        stopped.withLock { $0 = outcome }
        return outcome
    }

    /// Moves the capture into the results directory under `name` (or `name-N` when taken), never
    /// replacing a file and never following a symlink; on failure the capture is deleted.
    private func moveIntoResults() {
        let stem = name.hasSuffix(".pcap") ? String(name.dropLast(5)) : name
        let suffix = name.hasSuffix(".pcap") ? ".pcap" : ""
        for attempt in 1...100 {
            let candidate = attempt == 1 ? name : "\(stem)-\(attempt)\(suffix)"
            do {
                try directory.moveIn(from: capturePath, as: candidate)
                finalPath.withLock { $0 = directory.path(of: candidate) }
                return
            } catch  where error.errno == EEXIST && attempt < 100 {
                continue
            } catch {
                logger.warning("witness capture not moved", metadata: ["from": "\(capturePath)", "error": "\(error)"])
                _ = unlink(capturePath)
                return
            }
        }
    }

    /// tcpdump's temporary files are gone: out of the owner record (the supervisor removes tcpdump
    /// itself once it is reaped).
    private func forgetResources() {
        RunResources.removed(.file(capturePath))
        RunResources.removed(.file(stderrPath))
    }

    private func stderrText() -> String {
        guard let data = FileManager.default.contents(atPath: stderrPath) else { return "" }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Parses `N packets dropped by kernel` from tcpdump's stderr.
    static func droppedByKernel(in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasSuffix("packets dropped by kernel") {
            if let first = line.split(separator: " ").first, let count = Int(first) { return count }
        }
        return nil
    }
}

extension ProcessRecorder {
    /// Reports helpers to `RunResources`, the run's owner record (`failover cleanup` reads it).
    static let runResources = ProcessRecorder(
        started: { RunResources.created(.process(pid: $0.pid, name: $0.name)) },
        ended: { RunResources.removed(.process(pid: $0.pid, name: $0.name)) })
}
