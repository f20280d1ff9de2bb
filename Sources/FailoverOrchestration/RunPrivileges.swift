internal import CNetShims
import Foundation

/// What `failover run` needs beyond `Privileges.problem()` (root or CAP_NET_ADMIN): creating a
/// network namespace (`unshare(CLONE_NEWNET)`, the bind mount under /run/netns) needs
/// CAP_SYS_ADMIN as well, the namespaces are pinned as files in `/run/netns`, and the run
/// records its owner in `/run/failover/owners`: both must be writable. Checked before anything is built, so a user with CAP_NET_ADMIN alone gets exit 77 and
/// one line instead of every playbook erroring.
public enum RunPrivileges {
    public static let ownersDirectory = "/run/failover/owners"
    public static let namespaceDirectory = "/run/netns"

    /// nil when the run can go ahead, else a one-line reason.
    public static func problem(
        euid: UInt32 = effectiveUserID(), effectiveCapabilities: UInt64? = currentCapabilities(),
        writable: (String) -> Bool = isWritable
    ) -> String? {
        if euid == 0 { return nil }
        let systemAdmin: UInt64 = 1 << 21
        let networkAdmin: UInt64 = 1 << 12
        var missing: [String] = []
        let capabilities = effectiveCapabilities ?? 0
        if capabilities & networkAdmin == 0 { missing.append("CAP_NET_ADMIN") }
        if capabilities & systemAdmin == 0 { missing.append("CAP_SYS_ADMIN (to create network namespaces)") }
        if !writable(namespaceDirectory) { missing.append("write access to \(namespaceDirectory) (namespace files)") }
        if !writable(ownersDirectory) { missing.append("write access to \(ownersDirectory) (run owner records)") }
        guard !missing.isEmpty else { return nil }
        return "failover run needs root, or CAP_NET_ADMIN with CAP_SYS_ADMIN and write access to /run/netns and"
            + " /run/failover;"
            + " missing: \(missing.joined(separator: ", ")) (euid \(euid))"
    }

    /// The effective user ID of this process.
    public static func effectiveUserID() -> UInt32 { geteuid() }

    /// CapEff of this process (/proc/self/status), nil when unreadable.
    public static func currentCapabilities() -> UInt64? {
        guard let data = FileManager.default.contents(atPath: "/proc/self/status") else { return nil }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("CapEff:") {
            return UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        return nil
    }

    /// Whether this process (effective IDs) may create entries in `path`, or in its nearest existing
    /// ancestor when `path` does not exist yet.
    public static func isWritable(_ path: String) -> Bool {
        var candidate = path
        while !candidate.isEmpty {
            if faccessat(AT_FDCWD, candidate, F_OK, AT_EACCESS) == 0 {
                return faccessat(AT_FDCWD, candidate, W_OK | X_OK, AT_EACCESS) == 0
            }
            let parent = (candidate as NSString).deletingLastPathComponent
            if parent == candidate { break }
            candidate = parent
        }
        return false
    }
}
