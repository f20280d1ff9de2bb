internal import CNetShims
import FailoverCore
import FailoverNetlink
import Foundation
import Glibc

/// Which process owns a run's namespaces, so `failover cleanup` removes only what dead runs
/// left and never the namespaces of a run that is still going (another CI job, a parallel test).
///
/// A run claims its id before it creates its first namespace by writing
/// `/run/failover/owners/<run id>` = "<pid> <process start time>" (the start time, field 22 of
/// /proc/PID/stat, guards against PID reuse), and releases it after teardown.
public enum RunOwnership {
    public static let directory = "/run/failover/owners"

    /// Records this process as the owner of `runID`.
    /// - Throws: `BackendError` if the record cannot be written (e.g. /run not writable).
    public static func claim(runID: String) throws {
        let text = "\(getpid()) \(startTime(of: getpid()) ?? 0)\n"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(runID)"), options: .atomic)
        } catch {
            throw BackendError(operation: "record run owner", object: "\(directory)/\(runID)", detail: "\(error)")
        }
    }

    /// Removes the record of `runID` (no error if absent).
    public static func release(runID: String) {
        _ = unlink("\(directory)/\(runID)")
    }

    /// The live owner process of `runID`, or nil when there is no record or its process is gone.
    public static func liveOwner(of runID: String) -> Int32? {
        guard let data = FileManager.default.contents(atPath: "\(directory)/\(runID)") else { return nil }
        let fields = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, let pid = pid_t(fields[0]), let started = UInt64(fields[1]) else { return nil }
        guard LeftoverCleanup.isRunning(pid), startTime(of: pid) == started else { return nil }
        return pid
    }

    /// Field 22 (starttime, clock ticks since boot) of /proc/PID/stat.
    static func startTime(of pid: pid_t) -> UInt64? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
            let close = data.lastIndex(of: UInt8(ascii: ")"))
        else { return nil }
        // After ") " come fields 3, 4, ...; starttime is field 22, i.e. index 19 of the rest.
        let rest = String(decoding: data[data.index(after: close)...], as: UTF8.self).split(separator: " ")
        guard rest.count > 19 else { return nil }
        return UInt64(rest[19])
    }
}
