import FailoverLinux
import FailoverModel
import FailoverProbe
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Test-only helpers for probe integration tests: namespaces made with `ip`, sockets opened inside a
/// namespace from a dedicated thread (setns found with dlsym: Glibc hides it behind _GNU_SOURCE).
enum ProbeLab {
    struct CommandFailure: Error, CustomStringConvertible {
        var argv: [String]
        var status: Int32
        var stderr: String
        var description: String { "\(argv.joined(separator: " ")) exited \(status): \(stderr)" }
    }

    struct SocketFailure: Error, CustomStringConvertible {
        var namespace: String
        var call: String
        var errno: Int32
        var description: String { "\(call) for namespace \(namespace) failed: errno \(errno)" }
    }

    /// Runs a command (argv, no shell); throws when it exits non-zero.
    static func run(_ argv: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        let errorPipe = Pipe()
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errors = errorPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailure(
                argv: argv, status: process.terminationStatus, stderr: String(decoding: errors, as: UTF8.self))
        }
    }

    static func ip(_ arguments: String...) throws { try run(["/usr/sbin/ip"] + arguments) }

    /// `fo` + 6 hex digits.
    /// Claimed like a real run (`RunOwnership`), so a concurrent `failover cleanup` leaves it alone.
    static func newPrefix() -> String {
        let runID = String(format: "%06x", UInt32.random(in: 0..<0x100_0000))
        try? RunOwnership.claim(runID: runID)
        return "fo" + runID
    }

    /// Deletes namespaces, ignoring "already gone".
    static func deleteNamespaces(_ names: [String]) {
        for name in names { _ = try? run(["/usr/sbin/ip", "netns", "del", name]) }
        for name in names where name.count > 8 { RunOwnership.release(runID: String(name.dropFirst(2).prefix(6))) }
    }

    /// Two hosts `a` (198.18.0.1) and `b` (198.18.0.2) on switch `s` (bridge br0, ports pa and pb),
    /// with static neighbours so a port flap does not involve ARP.
    static func buildTwoHostsOnSwitch(prefix: String) throws -> (a: String, b: String, s: String) {
        let a = "\(prefix)-a"
        let b = "\(prefix)-b"
        let s = "\(prefix)-s"
        for name in [a, b, s] {
            try ip("netns", "add", name)
            try ip("-n", name, "link", "set", "lo", "up")
        }
        try ip("-n", s, "link", "add", "br0", "type", "bridge", "stp_state", "0", "forward_delay", "0")
        try ip("-n", s, "link", "set", "br0", "up")
        for (port, host, mac, address) in [
            ("pa", a, "02:00:00:00:00:0a", "198.18.0.1/24"), ("pb", b, "02:00:00:00:00:0b", "198.18.0.2/24"),
        ] {
            try ip("-n", s, "link", "add", port, "type", "veth", "peer", "name", "eth0", "address", mac, "netns", host)
            try ip("-n", s, "link", "set", port, "master", "br0")
            try ip("-n", s, "link", "set", port, "up")
            try ip("-n", host, "addr", "add", address, "dev", "eth0")
            try ip("-n", host, "link", "set", "eth0", "up")
        }
        try ip(
            "-n", a, "neigh", "replace", "198.18.0.2", "lladdr", "02:00:00:00:00:0b", "dev", "eth0", "nud", "permanent")
        try ip(
            "-n", b, "neigh", "replace", "198.18.0.1", "lladdr", "02:00:00:00:00:0a", "dev", "eth0", "nud", "permanent")
        return (a, b, s)
    }

    private typealias SetnsFunction = @convention(c) (Int32, Int32) -> Int32
    private static let cloneNewNet: Int32 = 0x4000_0000

    /// A `SocketFactory` that opens sockets inside named namespaces from a dedicated thread.
    static let namespaceSockets: SocketFactory = { namespace, family, type in
        guard let namespace else {
            let fd = socket(family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw SocketFailure(namespace: "(current)", call: "socket", errno: errno) }
            return fd
        }
        final class Outcome: @unchecked Sendable {
            // Written by the worker thread before it signals, read after the wait: no overlap.
            var result: Result<Int32, SocketFailure> = .failure(SocketFailure(namespace: "", call: "thread", errno: 0))
        }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else {
                outcome.result = .failure(SocketFailure(namespace: namespace, call: "dlsym(setns)", errno: 0))
                return
            }
            let setns = unsafeBitCast(symbol, to: SetnsFunction.self)
            let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            let target = open("/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
            defer {
                if original >= 0 { close(original) }
                if target >= 0 { close(target) }
            }
            guard original >= 0, target >= 0 else {
                outcome.result = .failure(SocketFailure(namespace: namespace, call: "open", errno: errno))
                return
            }
            guard setns(target, cloneNewNet) == 0 else {
                outcome.result = .failure(SocketFailure(namespace: namespace, call: "setns", errno: errno))
                return
            }
            let fd = socket(family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
            let socketErrno = errno
            // The thread ends right after; returning is still tidy.
            _ = setns(original, cloneNewNet)
            outcome.result =
                fd >= 0
                ? .success(fd) : .failure(SocketFailure(namespace: namespace, call: "socket", errno: socketErrno))
        }
        thread.start()
        done.wait()
        return try outcome.result.get()
    }

    /// Runs `tcpdump` in a namespace writing a pcap; `stop()` ends it with SIGINT and waits.
    final class Tcpdump {
        let process = Process()
        let path: String

        init(namespace: String, interface: String, port: Int, path: String) throws {
            self.path = path
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = [
                "netns", "exec", namespace, "/usr/bin/tcpdump", "-Z", "root", "-i", interface, "-n", "-U",
                "--immediate-mode", "-B",
                "16384",
                "--time-stamp-precision", "nano", "-w", path, "udp", "dst", "port", "\(port)",
            ]
            process.standardError = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }

        /// Waits (up to 5 s) until tcpdump has written the pcap file header, i.e. is capturing.
        func waitUntilCapturing() async throws {
            for _ in 0..<100 {
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                if size >= 24 { return }
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        /// SIGINT (tcpdump flushes and exits), then SIGKILL after 5 s.
        func stop() {
            guard process.isRunning else { return }
            // tcpdump exits on SIGINT without reading what is still queued for it: wait until the
            // file has stopped growing for 100 ms (at most 3 s) first.
            var last = -1
            var stable = 0
            for _ in 0..<300 where stable < 10 {
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
                stable = size == last ? stable + 1 : 0
                last = size
                usleep(10_000)
            }
            process.interrupt()
            for _ in 0..<500 where process.isRunning { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }
}
