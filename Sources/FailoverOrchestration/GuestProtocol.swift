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
    ///
    /// Each file is passed once: the guest expands a `matrix:` file into its instances again. When
    /// only some instances of a file belong in the lab (`select`: the names of the lab's playbooks,
    /// given when some instance of one of these files runs on the host), each is named with
    /// `--guest-instance`, and the guest runs those only; otherwise the guest runs every instance.
    public static func argv(
        executable: String, recordPath: String, runID: String, logLevel: String, witness: Bool,
        playbookFiles: [String], select: [String]? = nil, cwd: String
    ) -> [String] {
        var argv = [executable, "run", "--vm", "never", "--guest-record", recordPath, "--run-id", runID]
        argv += ["--log-level", logLevel]
        argv += ["--guest-accelerator", acceleratorPlaceholder]
        if witness { argv.append("--witness") }
        for name in select ?? [] { argv += ["--guest-instance", name] }
        var files: [String] = []
        for file in playbookFiles.map({ absolute($0, cwd: cwd) }) where !files.contains(file) { files.append(file) }
        argv += files
        return argv
    }

    /// The names the guest must restrict itself to, or nil when it runs every playbook of the lab's
    /// files: nil unless some playbook of those files (`all`, as loaded on the host) is not in `lab`.
    public static func selection(lab: [Playbook], all: [Playbook]) -> [String]? {
        let files = Set(lab.map(\.file))
        let names = Set(lab.map(\.name))
        let elsewhere = all.contains { files.contains($0.file) && !names.contains($0.name) }
        guard elsewhere else { return nil }
        var ordered: [String] = []
        for playbook in lab where !ordered.contains(playbook.name) { ordered.append(playbook.name) }
        return ordered
    }

    /// The playbooks the guest runs: those named by `--guest-instance`, or all when none is named.
    public static func select(_ playbooks: [Playbook], names: [String]) -> [Playbook] {
        names.isEmpty ? playbooks : playbooks.filter { names.contains($0.name) }
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
