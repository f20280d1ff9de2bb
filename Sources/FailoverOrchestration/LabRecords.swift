import FailoverModel
import Foundation

/// Records the host makes itself for the kernel lab: of a kernel whose lab run broke or was
/// interrupted, and of playbooks that never started.
public enum LabRecords {
    /// The guest's record at `path`, if it wrote one that decodes; the file is removed either way
    /// (it is raw material, not a result).
    public static func take(_ path: String) -> RunRecord? {
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(RunRecord.self, from: data)
    }

    /// The record of a kernel whose lab run broke or was interrupted: the playbooks the guest finished
    /// (its partial `record`, written after each one; all of them when the signal came after the last),
    /// the next one *errored* with `message`, the rest skipped when `interrupted` (errored otherwise).
    /// A `record` that lists more playbooks than were sent is not the guest's and is ignored.
    public static func partial(
        _ playbooks: [Playbook], kernel: String, accelerator: String? = nil, record: RunRecord?, runID: String,
        message: String, interrupted: Bool, at now: MonotonicInstant
    ) -> RunRecord {
        let partial = record.flatMap { $0.playbooks.count <= playbooks.count ? $0 : nil }
        let finished = partial?.playbooks ?? []
        let rest = playbooks.dropFirst(finished.count).enumerated().map { offset, playbook in
            PlaybookRecord(
                name: playbook.name, file: playbook.file, seed: playbook.seed,
                verdict: offset == 0 || !interrupted ? .errored : .skipped,
                message: offset == 0 || !interrupted ? message : "interrupted before it started", started: now,
                ended: now, timers: [], steps: [], assertions: [], observations: [], parameters: playbook.parameters)
        }
        if var partial {
            partial.playbooks = finished + rest
            return partial
        }
        return lab(kernel: kernel, accelerator: accelerator, runID: runID, playbooks: rest)
    }

    /// A run record of the kernel lab on `kernel` holding `playbooks`.
    public static func lab(kernel: String, accelerator: String? = nil, runID: String, playbooks: [PlaybookRecord])
        -> RunRecord
    {
        RunRecord(
            runID: runID, startedAt: ISO8601DateFormatter().string(from: Date()),
            environment: EnvironmentRecord(
                kernel: kernel, execution: "vm", accelerator: accelerator, hostname: ProcessInfo.processInfo.hostName,
                failoverVersion: FailoverRelease.version),
            playbooks: playbooks)
    }

    /// The record of a playbook that did not start, for `reason`.
    public static func skipped(_ playbook: Playbook, at now: MonotonicInstant, reason: String) -> PlaybookRecord {
        PlaybookRecord(
            name: playbook.name, file: playbook.file, seed: playbook.seed, verdict: .skipped, message: reason,
            started: now, ended: now, timers: [], steps: [], assertions: [], observations: [],
            parameters: playbook.parameters)
    }
}
