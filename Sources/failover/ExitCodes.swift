import ArgumentParser
import FailoverModel
import Foundation

/// Every exit status of `failover`, in one place (sysexits.h numbers).
enum ExitCodes {
    /// All assertions passed.
    static let passed: Int32 = 0
    /// At least one assertion failed (and nothing errored).
    static let failed: Int32 = 1
    /// Bad command line (ArgumentParser's own default).
    static let usage: Int32 = 64
    /// A playbook is invalid: nothing was built.
    static let invalidPlaybook: Int32 = 65
    /// The harness or the environment broke (verdict errored), or a kernel cannot run the playbook.
    static let software: Int32 = 70
    /// Missing privileges (root or CAP_NET_ADMIN needed).
    static let noPermission: Int32 = 77

    static func forVerdict(_ verdict: Verdict) -> Int32 {
        switch verdict {
        case .passed, .skipped: passed
        case .failed: failed
        case .errored: software
        }
    }
}

/// Ends the command with a one-line message on stderr and an exit status.
struct Failure: Error, CustomStringConvertible {
    var code: Int32
    var message: String

    var description: String { message }
}

func fail(_ code: Int32, _ message: String) -> Failure { Failure(code: code, message: message) }

/// What `failover run` needs beyond `Privileges.problem()` (root or CAP_NET_ADMIN): creating a
/// network namespace (`unshare(CLONE_NEWNET)`, the bind mount under /run/netns) needs
/// CAP_SYS_ADMIN as well, the namespaces are pinned as files in `/run/netns`, and the run
/// records its owner in `/run/failover/owners`: both must be writable. Checked before anything is built, so a user with CAP_NET_ADMIN alone gets exit 77 and
/// one line instead of every playbook erroring.
enum RunPrivileges {
    static let ownersDirectory = "/run/failover/owners"
    static let namespaceDirectory = "/run/netns"

    /// nil when the run can go ahead, else a one-line reason.
    static func problem(
        euid: uid_t = geteuid(), effectiveCapabilities: UInt64? = currentCapabilities(),
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

    /// CapEff of this process (/proc/self/status), nil when unreadable.
    static func currentCapabilities() -> UInt64? {
        guard let data = FileManager.default.contents(atPath: "/proc/self/status") else { return nil }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("CapEff:") {
            return UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        return nil
    }

    /// Whether this process (effective IDs) may create entries in `path`, or in its nearest existing
    /// ancestor when `path` does not exist yet.
    static func isWritable(_ path: String) -> Bool {
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
