public import FailoverModel

/// The packet captures of one playbook run (implemented on libpcap in FailoverOrchestration's
/// `CaptureEngine` over FailoverCapture). Started by the runner after build, before the first
/// step, like the probes; stopped in teardown before the namespaces are removed.
public protocol PacketCaptures: Sendable {
    /// Opens every capture inside its namespace.
    func start(_ captures: [CaptureSpec]) async throws
    /// A step mark at the fault's instant (`step 4: pull server/eth0`), written into the pcapng.
    func mark(_ text: String, at instant: MonotonicInstant) async
    /// Stops every capture, writes the run's pcapng file and returns the figures of each capture,
    /// and the problems (a capture that could not be stopped or a file that could not be written).
    func finish() async -> (records: [CaptureRecord], problems: [String])
}
