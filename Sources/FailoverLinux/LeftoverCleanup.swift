internal import CNetShims
import FailoverCore
import FailoverNetlink
import Foundation
public import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `failover cleanup`: removes what killed runs left behind, and only that.
///
/// The owner records (`RunOwnership`) are the only authority: for every record whose owner process is
/// dead, the recorded helper processes are ended (only when PID *and* start time still match), the
/// recorded namespaces, files and directories removed, then the record. Anything else that merely looks
/// like ours (a `fo<6 hex>-…` namespace, a `failover-vm-…` directory or `failover-capture-…` file in the
/// temporary directory that no record lists) is listed and left alone. Idempotent.
public enum LeftoverCleanup {
    /// What one cleanup did.
    public struct Outcome: Sendable, Equatable {
        /// Removed objects, one line each (`namespace fo…`, `process 123 (qemu-system-x86)`, …).
        public var removed: [String] = []
        /// Objects left alone, with the reason, one line each.
        public var leftAlone: [String] = []
        /// Objects that should have gone but could not be removed (the record stays).
        public var failed: [String] = []
    }

    /// Compatibility: the removed lines of `run`.
    public static func removeAll(logger: Logger) -> [String] {
        run(logger: logger).removed
    }

    /// Cleans up after dead runs (see the type's documentation).
    /// - Parameters:
    ///   - ownersDirectory: where owner records are (tests use their own).
    ///   - temporaryDirectory: scanned for unrecorded `failover-…` leftovers to list.
    public static func run(
        logger: Logger, ownersDirectory: String = RunOwnership.directory,
        temporaryDirectory: String = FileManager.default.temporaryDirectory.path
    ) -> Outcome {
        var outcome = Outcome()
        var accounted = Set<String>()  // namespaces and paths some record lists
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: ownersDirectory)) ?? []).sorted()
        for file in files where !file.hasPrefix(".") {
            let path = "\(ownersDirectory)/\(file)"
            guard let record = RunOwnership.readRecord(path) else {
                outcome.leftAlone.append("owner record \(path): unreadable, not acted on")
                continue
            }
            for object in record.objects {
                switch object {
                case .namespace(let name): accounted.insert(name)
                case .directory(let path), .file(let path): accounted.insert(path)
                case .process: break
                }
            }
            if RunOwnership.isAlive(pid: record.ownerPID, startTime: record.ownerStartTime) {
                let namespaces = record.objects.compactMap { object -> String? in
                    if case .namespace(let name) = object { return name }
                    return nil
                }
                logger.notice(
                    "run still going, left alone", metadata: ["record": "\(path)", "pid": "\(record.ownerPID)"])
                outcome.leftAlone.append(
                    "run \(file) of running process \(record.ownerPID)"
                        + (namespaces.isEmpty ? "" : " (\(namespaces.joined(separator: " ")))"))
                continue
            }
            if record.malformedLines > 0 {
                outcome.leftAlone.append(
                    "owner record \(path): \(record.malformedLines) unreadable line(s) not acted on")
            }
            let failedBefore = outcome.failed.count
            remove(record.objects, outcome: &outcome, logger: logger)
            if outcome.failed.count == failedBefore, record.malformedLines == 0 {
                _ = unlink(path)
            }
        }
        for name in NetworkNamespace.list() where RunNames.isRunNamespace(name) && !accounted.contains(name) {
            outcome.leftAlone.append(
                "namespace \(name): no owner record lists it, not ours to remove (`ip netns delete \(name)` if it is)")
        }
        let temporary = (temporaryDirectory as NSString).standardizingPath
        for file in ((try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []).sorted()
        where file.hasPrefix("failover-vm-") || file.hasPrefix(RunNames.temporaryCapturePrefix) {
            let path = "\(temporary)/\(file)"
            guard !accounted.contains(path) else { continue }
            outcome.leftAlone.append("\(path): no owner record lists it, left alone")
        }
        return outcome
    }

    /// Removes the objects of a dead run: processes first, then namespaces, files, directories.
    static func remove(_ objects: [RunOwnership.Object], outcome: inout Outcome, logger: Logger) {
        var recordedPIDs = Set<pid_t>()
        var toStop: [pid_t] = []
        for case .process(let pid, let started) in objects {
            recordedPIDs.insert(pid)
            if RunOwnership.isAlive(pid: pid, startTime: started) { toStop.append(pid) }
        }
        if !toStop.isEmpty {
            let names = Dictionary(uniqueKeysWithValues: toStop.map { ($0, command(of: $0)) })
            stop(toStop)
            for pid in toStop {
                if isRunning(pid) {
                    outcome.failed.append("process \(pid) (\(names[pid] ?? "?")): still running after SIGKILL")
                } else {
                    outcome.removed.append("process \(pid) (\(names[pid] ?? "?"))")
                }
            }
        }
        for case .namespace(let name) in objects {
            for pid in processes(in: name) where !recordedPIDs.contains(pid) {
                outcome.leftAlone.append(
                    "process \(pid) (\(command(of: pid))) in namespace \(name): not started by that run, left alone")
            }
            do {
                if try NetworkNamespace.delete(name) { outcome.removed.append("namespace \(name)") }
            } catch {
                logger.warning("namespace not deleted", metadata: ["netns": "\(name)", "error": "\(error)"])
                outcome.failed.append("namespace \(name): \(error)")
            }
        }
        for case .file(let path) in objects {
            if unlink(path) == 0 {
                outcome.removed.append("file \(path)")
            } else if errno != ENOENT {
                outcome.failed.append("file \(path): \(String(cString: strerror(errno)))")
            }
        }
        for case .directory(let path) in objects {
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                outcome.leftAlone.append("\(path): recorded as a directory but is not one, left alone")
                continue
            }
            do {
                try FileManager.default.removeItem(atPath: path)
                outcome.removed.append("directory \(path)")
            } catch {
                outcome.failed.append("directory \(path): \(error)")
            }
        }
    }

    /// SIGTERM, up to 1 s, SIGKILL, up to 1 s.
    static func stop(_ pids: [pid_t]) {
        for pid in pids { kill(pid, SIGTERM) }
        var waited = 0
        while waited < 100, pids.contains(where: isRunning) {
            usleep(10_000)
            waited += 1
        }
        for pid in pids where isRunning(pid) { kill(pid, SIGKILL) }
        waited = 0
        while waited < 100, pids.contains(where: isRunning) {
            usleep(10_000)
            waited += 1
        }
    }

    /// /proc/PID/comm, or "?".
    static func command(of pid: pid_t) -> String {
        guard let bytes = try? readSmallFile("/proc/\(pid)/comm") else { return "?" }
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
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
