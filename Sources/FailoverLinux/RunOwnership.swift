internal import CNetShims
import FailoverCore
import FailoverNetlink
import Foundation
import Glibc
import Synchronization

/// Which process owns a run, and everything that run created: the only authority `failover cleanup`
/// trusts. Cleanup removes exactly the objects recorded here by runs whose owner process is dead, and
/// merely lists anything else that looks like ours.
///
/// A run's record is `/run/failover/owners/<run id>`: a first line `<pid> <start time>` (the start
/// time, field 22 of /proc/PID/stat, guards against PID reuse), then one line per event, appended
/// (`O_APPEND`, one `write` each) *before* the object is created (namespaces, whose names are known)
/// or right after (a helper process, recorded with its own start time before it can be reaped; a
/// `mkdtemp` directory), and a `-` line once it is gone:
///
/// ```
/// 4242 123456
/// +netns fo1a2b3c-sw
/// +proc 4250 123470
/// +dir /tmp/failover-vm-Ab12Cd
/// -netns fo1a2b3c-sw
/// ```
///
/// Claims are counted per process: the CLI holds the run for its whole life, the backend claims it per
/// playbook; the record is removed when the last claim is released and nothing recorded is left.
public enum RunOwnership {
    public static let directory = "/run/failover/owners"

    /// One object a run created.
    public enum Object: Sendable, Hashable, CustomStringConvertible {
        case namespace(String)
        case process(pid: Int32, startTime: UInt64)
        case directory(String)
        case file(String)

        public var description: String {
            switch self {
            case .namespace(let name): "namespace \(name)"
            case .process(let pid, _): "process \(pid)"
            case .directory(let path): "directory \(path)"
            case .file(let path): "file \(path)"
            }
        }

        /// The record line (without sign and newline).
        var line: String {
            switch self {
            case .namespace(let name): "netns \(name)"
            case .process(let pid, let started): "proc \(pid) \(started)"
            case .directory(let path): "dir \(path)"
            case .file(let path): "file \(path)"
            }
        }

        /// Parses a record line; nil for anything malformed or outside what a run may create
        /// (namespaces named `fo<6 hex>-…`; absolute paths named `failover-…`, no `..`).
        init?(line: Substring) {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            let value = String(parts[1])
            switch parts[0] {
            case "netns":
                guard RunNames.isRunNamespace(value), !value.contains("/") else { return nil }
                self = .namespace(value)
            case "proc":
                let fields = value.split(separator: " ")
                guard fields.count == 2, let pid = pid_t(fields[0]), pid > 1, let started = UInt64(fields[1]) else {
                    return nil
                }
                self = .process(pid: pid, startTime: started)
            case "dir", "file":
                guard Object.isOurPath(value) else { return nil }
                self = parts[0] == "dir" ? .directory(value) : .file(value)
            default:
                return nil
            }
        }

        /// An absolute path without `.`/`..` components whose last component starts with `failover-`.
        static func isOurPath(_ path: String) -> Bool {
            guard path.hasPrefix("/") else { return false }
            let components = path.split(separator: "/")
            guard let last = components.last, last.hasPrefix("failover-") else { return false }
            return !components.contains { $0 == "." || $0 == ".." }
        }
    }

    /// A parsed owner record.
    public struct Record: Sendable, Equatable {
        public var ownerPID: Int32
        public var ownerStartTime: UInt64
        /// Recorded and not yet removed, in creation order.
        public var objects: [Object]
        /// Lines that did not parse (listed by cleanup, never acted on).
        public var malformedLines: Int

        /// Parses the text of a record; nil when the owner line is malformed.
        public init?(text: String) {
            var lines = text.split(separator: "\n")
            guard let first = lines.first else { return nil }
            lines.removeFirst()
            let fields = first.split(separator: " ")
            guard fields.count == 2, let pid = pid_t(fields[0]), pid > 0, let started = UInt64(fields[1]) else {
                return nil
            }
            ownerPID = pid
            ownerStartTime = started
            objects = []
            malformedLines = 0
            for line in lines {
                guard let sign = line.first, sign == "+" || sign == "-", let object = Object(line: line.dropFirst())
                else {
                    malformedLines += 1
                    continue
                }
                if sign == "+" {
                    if !objects.contains(object) { objects.append(object) }
                } else {
                    objects.removeAll { $0 == object }
                }
            }
        }
    }

    private struct Held {
        var claims = 0
        var live: Set<Object> = []
    }

    private static let held = Mutex<[String: Held]>([:])

    /// Records this process as the owner of `runID` (or adds a claim when it already is).
    /// A record left by a dead owner is kept aside (`<run id>.<pid>`) for `failover cleanup`.
    /// - Throws: `BackendError` if the record cannot be written (e.g. /run not writable) or another
    ///   live process owns `runID`.
    public static func claim(runID: String) throws {
        try held.withLock { held in
            if let current = held[runID], current.claims > 0 {
                held[runID]?.claims += 1
                return
            }
            let path = "\(directory)/\(runID)"
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw BackendError(operation: "record run owner", object: directory, detail: "\(error)")
            }
            if let existing = readRecord(path) {
                if existing.ownerPID != getpid(), isAlive(pid: existing.ownerPID, startTime: existing.ownerStartTime) {
                    throw BackendError(
                        operation: "record run owner", object: path,
                        detail: "run id \(runID) is in use by process \(existing.ownerPID)")
                }
                if existing.ownerPID == getpid(), existing.ownerStartTime == startTime(of: getpid()) {
                    // Ours, kept after a failed teardown: go on with what it lists.
                    held[runID] = Held(claims: 1, live: Set(existing.objects))
                    return
                }
                _ = rename(path, "\(path).\(existing.ownerPID)")
            }
            // One write to the final name (no temporary file a kill could leave behind).
            let bytes = Array("\(getpid()) \(startTime(of: getpid()) ?? 0)\n".utf8)
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw BackendError(
                    operation: "record run owner", object: path, detail: String(cString: strerror(errno)))
            }
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            let writeErrno = errno
            _ = close(fd)
            guard written == bytes.count else {
                _ = unlink(path)
                throw BackendError(
                    operation: "record run owner", object: path, detail: String(cString: strerror(writeErrno)))
            }
            held[runID] = Held(claims: 1, live: [])
        }
    }

    /// Appends `object` to the record of `runID` (which this process must have claimed).
    /// Call it before creating a namespace, right after creating anything whose name or PID is not
    /// known before.
    /// - Throws: `BackendError` when the line cannot be written (the object must then not be created).
    public static func record(_ object: Object, runID: String) throws {
        try held.withLock { held in
            guard held[runID] != nil else {
                throw BackendError(
                    operation: "record \(object)", object: "\(directory)/\(runID)", detail: "run id not claimed")
            }
            try append("+" + object.line, runID: runID)
            held[runID]?.live.insert(object)
        }
    }

    /// Appends the removal of `object` (best effort: a stale `+` line only makes cleanup find it gone).
    public static func forget(_ object: Object, runID: String) {
        held.withLock { held in
            guard held[runID]?.live.contains(object) == true else { return }
            try? append("-" + object.line, runID: runID)
            held[runID]?.live.remove(object)
        }
    }

    /// Drops one claim of `runID`; after the last one the record is removed, unless it still lists
    /// objects (a teardown that failed): then it stays for `failover cleanup`.
    public static func release(runID: String) {
        held.withLock { held in
            guard var current = held[runID] else { return }
            current.claims -= 1
            if current.claims > 0 {
                held[runID] = current
                return
            }
            held[runID] = nil
            if current.live.isEmpty { _ = unlink("\(directory)/\(runID)") }
        }
    }

    /// The objects of `runID` this process recorded and has not removed yet.
    public static func liveObjects(of runID: String) -> Set<Object> {
        held.withLock { $0[runID]?.live ?? [] }
    }

    private static func append(_ line: String, runID: String) throws {
        let path = "\(directory)/\(runID)"
        let fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw BackendError(
                operation: "append to run owner record", object: path, detail: String(cString: strerror(errno)))
        }
        defer { _ = close(fd) }
        let bytes = Array((line + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw BackendError(
                operation: "append to run owner record", object: path, detail: String(cString: strerror(errno)))
        }
    }

    /// Reads and parses a record file (nil when missing or malformed).
    static func readRecord(_ path: String) -> Record? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return Record(text: String(decoding: data, as: UTF8.self))
    }

    /// The live owner process of `runID`, or nil when there is no record or its process is gone.
    public static func liveOwner(of runID: String) -> Int32? {
        guard let record = readRecord("\(directory)/\(runID)") else { return nil }
        return isAlive(pid: record.ownerPID, startTime: record.ownerStartTime) ? record.ownerPID : nil
    }

    /// True while `pid` runs (not a zombie) and started at `startTime`.
    static func isAlive(pid: pid_t, startTime started: UInt64) -> Bool {
        LeftoverCleanup.isRunning(pid) && startTime(of: pid) == started
    }

    /// Field 22 (starttime, clock ticks since boot) of /proc/PID/stat.
    static func startTime(of pid: pid_t) -> UInt64? { ProcFS.startTime(of: pid) }

    /// Makes helpers of this process (`RunResources`: tcpdump, qemu, the kernel lab's job directory,
    /// capture files) report into the record of `runID`, which must stay claimed while they may run.
    public static func recordHelpers(into runID: String) {
        RunResources.install(Recorder(runID: runID))
    }

    struct Recorder: RunResourceRecorder {
        var runID: String

        func object(_ resource: RunResource) -> Object? {
            switch resource {
            case .process(let pid, _):
                guard let started = RunOwnership.startTime(of: pid) else { return nil }
                return .process(pid: pid, startTime: started)
            case .directory(let path): return Object.isOurPath(path) ? .directory(path) : nil
            case .file(let path): return Object.isOurPath(path) ? .file(path) : nil
            }
        }

        func created(_ resource: RunResource) {
            guard let object = object(resource) else { return }
            try? RunOwnership.record(object, runID: runID)
        }

        func removed(_ resource: RunResource) {
            switch resource {
            case .process(let pid, _):
                // The process may be reaped already: forget it by PID.
                let match = RunOwnership.liveObjects(of: runID).first {
                    if case .process(pid, _) = $0 { return true }
                    return false
                }
                if let match { RunOwnership.forget(match, runID: runID) }
            default:
                if let object = object(resource) { RunOwnership.forget(object, runID: runID) }
            }
        }
    }
}
