import Foundation

/// Timing rules of the kernel lab: the documented allowance under TCG.
public enum VMTiming {
    /// Under TCG (software CPU emulation) timer-driven events arrive late: measured on these
    /// machines, active-backup with miimon 10 showed outages median 17.7 ms, max 215 ms, and
    /// gaps up to 23 ms with no fault at all. Deadlines derived from bond timers (`within:
    /// auto`) get this much extra; deadlines written in a playbook never do.
    public static let tcgAllowance: Duration = .milliseconds(500)
    public static let tcgAllowanceReason =
        "TCG (software-emulated CPU): timer-derived deadlines get +500ms; measured TCG jitter up to 215ms"
    /// Under TCG the one-way delay of a probe packet varies by tens of ms (gaps up to 23 ms with no
    /// fault), so the receive-time gap that the witness sees can differ from the probe's send-time
    /// outage by that much at the two edges: the witness's gap tolerance gets +25 ms there (it is
    /// recorded in every witness record). Packet counts must still agree exactly.
    public static let tcgWitnessAllowance: Duration = .milliseconds(25)
}
