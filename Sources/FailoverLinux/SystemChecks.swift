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
            try RunOwnership.record(.namespace(namespace), runID: probeNames.runID)
            let fd: Int32
            do { fd = try NetworkNamespace.create(namespace) } catch {
                RunOwnership.forget(.namespace(namespace), runID: probeNames.runID)
                throw error
            }
            defer {
                _ = close(fd)
                do {
                    try NetworkNamespace.delete(namespace)
                    RunOwnership.forget(.namespace(namespace), runID: probeNames.runID)
                } catch {
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
