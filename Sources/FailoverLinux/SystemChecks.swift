internal import CNetShims
public import FailoverCore
import FailoverNetlink
import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What the running kernel can do, found by trying it in a throwaway namespace.
public enum KernelProbe {
    /// uname release; bonding = a bond can actually be created (in a temporary `fo…-probe`
    /// namespace, so module autoload gets its chance); nftables bridge family = a bridge table
    /// can be added there.
    public static func capabilities(logger: Logger) -> KernelCapabilities {
        var info = utsname()
        uname(&info)
        let release = withUnsafeBytes(of: info.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let probeNames = RunNames.random()
        let namespace = probeNames.namespace("probe")
        var hasBonding = false
        var hasNFTablesBridge = false
        defer { RunOwnership.release(runID: probeNames.runID) }
        do {
            try RunOwnership.claim(runID: probeNames.runID)
            let fd = try NetworkNamespace.create(namespace)
            defer {
                _ = close(fd)
                do { try NetworkNamespace.delete(namespace) } catch {
                    logger.warning(
                        "probe namespace not deleted", metadata: ["netns": "\(namespace)", "error": "\(error)"])
                }
            }
            let socket = try RouteSocket(namespace: namespace, namespaceFD: fd)
            defer { socket.close() }
            var configuration = BondConfiguration()
            configuration.mode = 1
            do {
                try socket.perform(
                    LinkRequest.createBond(name: "bond0", configuration: configuration), operation: "create bond",
                    object: "bond0")
                hasBonding = true
            } catch {
                logger.debug("no bonding", metadata: ["error": "\(error)"])
            }
            let status = try NetworkNamespace.spawnAndWait([
                "/usr/sbin/ip", "netns", "exec", namespace, "/usr/sbin/nft", "add", "table", "bridge", "fo_probe",
            ])
            hasNFTablesBridge = status == 0
        } catch {
            logger.warning("kernel probe failed", metadata: ["error": "\(error)"])
        }
        return KernelCapabilities(release: release, hasBonding: hasBonding, hasNFTablesBridge: hasNFTablesBridge)
    }
}

/// Whether this process may build topologies.
public enum Privileges {
    /// nil when euid is 0 or CAP_NET_ADMIN (bit 12) is in CapEff of /proc/self/status,
    /// else a one-line reason.
    public static func problem() -> String? {
        if geteuid() == 0 { return nil }
        if let text = try? readSmallFile("/proc/self/status"),
            let capabilities = effectiveCapabilities(String(decoding: text, as: UTF8.self)),
            capabilities & (1 << 12) != 0
        {
            return nil
        }
        return "failover needs root or CAP_NET_ADMIN to create network namespaces (euid \(geteuid()))"
    }

    /// The CapEff mask of a /proc/<pid>/status text.
    static func effectiveCapabilities(_ status: String) -> UInt64? {
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            return UInt64(trimmed(line.dropFirst("CapEff:".count)), radix: 16)
        }
        return nil
    }
}

/// `failover cleanup`: removes what crashed runs left behind.
public enum LeftoverCleanup {
    /// For every namespace named like a run namespace (`RunNames.isRunNamespace`): SIGTERM
    /// then SIGKILL the processes inside it (`ip netns pids`), then delete it. Idempotent.
    /// - Returns: what was removed, one line each.
    /// Namespaces of a run whose owner process is still alive (`RunOwnership`) are left alone.
    public static func removeAll(logger: Logger) -> [String] {
        var removed: [String] = []
        for name in NetworkNamespace.list() where RunNames.isRunNamespace(name) {
            let runID = String(name.dropFirst(RunNames.prefix.count).prefix(6))
            if let owner = RunOwnership.liveOwner(of: runID) {
                logger.notice(
                    "namespace in use by a running run, left alone", metadata: ["netns": "\(name)", "pid": "\(owner)"])
                continue
            }
            let pids = processes(in: name)
            for pid in pids { kill(pid, SIGTERM) }
            if !pids.isEmpty {
                var waited = 0
                while waited < 100, pids.contains(where: isRunning) {
                    usleep(10_000)
                    waited += 1
                }
                for pid in pids where isRunning(pid) { kill(pid, SIGKILL) }
                removed.append("processes \(pids.map(String.init).joined(separator: " ")) in \(name)")
            }
            do {
                if try NetworkNamespace.delete(name) { removed.append("namespace \(name)") }
            } catch {
                logger.warning("namespace not deleted", metadata: ["netns": "\(name)", "error": "\(error)"])
            }
        }
        // Capture files that a killed run left in the temporary directory.
        let temporary = FileManager.default.temporaryDirectory.path
        for file in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
        where file.hasPrefix(RunNames.temporaryCapturePrefix) {
            let rest = file.dropFirst(RunNames.temporaryCapturePrefix.count)
            guard let pid = rest.split(separator: "-").first.flatMap({ pid_t($0) }), pid > 0, !isRunning(pid) else {
                continue
            }
            if unlink("\(temporary)/\(file)") == 0 { removed.append("capture file \(temporary)/\(file)") }
        }
        // Owner records of runs that are gone.
        let records = (try? FileManager.default.contentsOfDirectory(atPath: RunOwnership.directory)) ?? []
        for runID in records where RunOwnership.liveOwner(of: runID) == nil {
            RunOwnership.release(runID: runID)
        }
        return removed
    }

    /// True while `pid` exists and is not a zombie (state `Z` in /proc/PID/stat).
    static func isRunning(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? readSmallFile("/proc/\(pid)/stat"),
            let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count
        else { return false }
        return stat[close + 2] != UInt8(ascii: "Z")
    }

    /// PIDs whose network namespace is the one pinned at /run/netns/NAME (what `ip netns
    /// pids` prints), found by comparing namespace inode numbers under /proc.
    static func processes(in name: String) -> [pid_t] {
        var target = stat()
        guard stat(NetworkNamespace.path(name), &target) == 0 else { return [] }
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var result: [pid_t] = []
        let own = getpid()
        while let entry = readdir(dir) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = pid_t(entryName), pid != own else { continue }
            var info = stat()
            if stat("/proc/\(pid)/ns/net", &info) == 0, info.st_ino == target.st_ino, info.st_dev == target.st_dev {
                result.append(pid)
            }
        }
        return result
    }
}
