import Synchronization

/// Something a run creates outside its namespaces that must not outlive it: a helper process
/// (tcpdump, qemu), a temporary directory (the kernel lab's job directory), a temporary file
/// (a capture being written).
public enum RunResource: Sendable, Hashable, CustomStringConvertible {
    /// A child process, by PID (the recorder adds its start time, to survive PID reuse).
    case process(pid: Int32, name: String)
    /// A directory removed with its contents.
    case directory(String)
    /// A single file.
    case file(String)

    public var description: String {
        switch self {
        case .process(let pid, let name): "process \(pid) (\(name))"
        case .directory(let path): "directory \(path)"
        case .file(let path): "file \(path)"
        }
    }
}

/// Receives what the run of this process creates and removes (`RunOwnership` on Linux writes it to
/// the run's owner record, so `failover cleanup` can remove it after the run was killed).
public protocol RunResourceRecorder: Sendable {
    /// Called right after `resource` was created (for a process: after spawn, before it can be reaped).
    func created(_ resource: RunResource)
    /// Called after `resource` is gone.
    func removed(_ resource: RunResource)
}

/// The process-wide recorder of the current run. Helpers report here; nothing happens when no
/// recorder is installed (unit tests, library use).
public enum RunResources {
    private static let recorder = Mutex<(any RunResourceRecorder)?>(nil)

    /// Installs (or with nil removes) the recorder.
    public static func install(_ newRecorder: (any RunResourceRecorder)?) {
        recorder.withLock { $0 = newRecorder }
    }

    /// Reports a created resource.
    public static func created(_ resource: RunResource) {
        recorder.withLock { $0 }?.created(resource)
    }

    /// Reports a removed resource.
    public static func removed(_ resource: RunResource) {
        recorder.withLock { $0 }?.removed(resource)
    }
}
