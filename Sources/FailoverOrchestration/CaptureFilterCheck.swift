import FailoverCapture
import FailoverModel
import FailoverPlaybook

/// The load-time check of capture filters: each `filter:` is compiled by libpcap for Ethernet
/// (`LiveCapture.validateFilter`: `pcap_open_dead` + `pcap_compile`, no privileges, nothing on
/// the system), so a bad BPF expression is a diagnostic at the filter's `file:line:column` from
/// `validate` and `run` alike, never a run-start error. It lives here because the playbook layer
/// and the families must not link libpcap; `PlaybookFiles.loadAll` runs it on every loaded
/// playbook.
public enum CaptureFilterCheck {
    /// One error per capture whose filter libpcap rejects, at the filter's mark (else the
    /// capture's location), with libpcap's message.
    public static func diagnostics(for playbook: Playbook) -> [Diagnostic] {
        var result: [Diagnostic] = []
        for (index, capture) in playbook.captures.enumerated() {
            guard let filter = capture.filter else { continue }
            guard let problem = LiveCapture.filterProblem(filter) else { continue }
            let mark = capture.marks["filter"]
            let location =
                mark?.location ?? capture.location ?? SourceLocation(file: playbook.file, line: 1, column: 1)
            let path = mark?.path ?? "captures[\(index)].filter"
            result.append(
                Diagnostic(
                    severity: .error, location: location,
                    message: "\(path): libpcap cannot compile the BPF filter \"\(filter)\": \(problem)"))
        }
        return result
    }
}
