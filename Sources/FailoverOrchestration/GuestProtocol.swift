import FailoverModel
import Foundation

/// How the host asks failover inside the kernel lab to run playbooks, and where it reads the
/// record back: the same binary runs in the guest as `run --vm never --guest-record PATH`; the
/// guest rewrites the record (a JSON `RunRecord`) after every playbook, so a lab run that breaks
/// still reports what finished; qemu fills in the accelerator for `@ACCELERATOR@`.
public enum GuestProtocol {
    /// The placeholder the kernel lab replaces by the accelerator it runs under.
    public static let acceleratorPlaceholder = "@ACCELERATOR@"

    /// The record's file name for one kernel, in the run's results directory.
    public static func recordName(kernelRelease: String) -> String {
        "record-\(kernelRelease).json"
    }

    /// The guest's command line: playbook paths are made absolute against `cwd` (the guest starts
    /// in the same directory, but the paths in the records are the user's).
    public static func argv(
        executable: String, recordPath: String, runID: String, logLevel: String, witness: Bool,
        playbookFiles: [String], cwd: String
    ) -> [String] {
        var argv = [executable, "run", "--vm", "never", "--guest-record", recordPath, "--run-id", runID]
        argv += ["--log-level", logLevel]
        argv += ["--guest-accelerator", acceleratorPlaceholder]
        if witness { argv.append("--witness") }
        // Each file once: the guest expands a `matrix:` file into its instances again.
        var files: [String] = []
        for file in playbookFiles.map({ absolute($0, cwd: cwd) }) where !files.contains(file) { files.append(file) }
        argv += files
        return argv
    }
}

/// `path` made absolute against `cwd`.
public func absolute(_ path: String, cwd: String) -> String {
    path.hasPrefix("/") ? path : (cwd as NSString).appendingPathComponent(path)
}

/// A duration as seconds with two decimals, as progress lines show it (`1.23s`).
public func seconds(_ duration: Duration) -> String {
    let ms = Double(duration.totalNanoseconds) / 1e6
    return "\((ms / 10).rounded() / 100)s"
}

/// The path of this process's executable.
func selfExecutable() throws -> String {
    let path = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    return path
}
