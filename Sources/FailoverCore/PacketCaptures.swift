public import FailoverModel

/// The packet captures of one playbook run (implemented on libpcap in FailoverOrchestration's
/// `CaptureEngine` over FailoverCapture). Started by the runner after build, before the first
/// step, like the probes; stopped in teardown before the namespaces are removed.
public protocol PacketCaptures: Sendable {
    /// Opens every capture inside its namespace.
    func start(_ captures: [CaptureSpec]) async throws
    /// A step mark at the fault's instant (`step 4: pull server/eth0`), written into the pcapng.
    func mark(_ text: String, at instant: MonotonicInstant) async
    /// Decides a capture assertion (`frames`, `first_frame`) on the frames captured so far, its
    /// window starting at the last of `faults` (`stepStarted`: the start of the `expect` step,
    /// the end of a window not written). `holds` is true only once the outcome is settled (an
    /// exact or upper bound: after the window closed); `sourceMAC` resolves `same_as` /
    /// `permanent_of`. Drops or a realtime step give a `measurementError` (errored).
    func evaluate(
        _ assertion: Assertion, faults: [FaultMark], stepStarted: MonotonicInstant, now: MonotonicInstant,
        sourceMAC: MACAddress?
    ) async throws -> ProbeEvaluation
    /// Stops every capture, writes the run's pcapng file and returns the figures of each capture,
    /// and the problems (a capture that could not be stopped or a file that could not be written).
    func finish() async -> (records: [CaptureRecord], problems: [String])
}
