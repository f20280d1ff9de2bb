import FailoverModel

/// Run records used by the golden-file tests. All instants are fixed, so output is stable.
enum ReportFixtures {
    static let base: UInt64 = 5_000_000_000_000

    /// `base + milliseconds`.
    static func at(_ milliseconds: Double) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: base + UInt64((milliseconds * 1_000_000).rounded()))
    }

    static func location(_ file: String, _ line: Int, _ column: Int = 5) -> SourceLocation {
        SourceLocation(file: file, line: line, column: column)
    }

    static let kvmEnvironment = EnvironmentRecord(
        kernel: "6.1.0-56-amd64", execution: "vm", accelerator: "kvm", timingAllowanceNanoseconds: 0,
        timingAllowanceReason: nil, hostname: "ci-runner-7", failoverVersion: "0.1.0")

    static let tcgEnvironment = EnvironmentRecord(
        kernel: "6.1.0-56-amd64", execution: "vm", accelerator: "tcg", timingAllowanceNanoseconds: 1_000_000_000,
        timingAllowanceReason: "TCG emulation: timers run late, measured p90 63 ms, max 215 ms",
        hostname: "lab-host", failoverVersion: "0.1.0")

    static let hostEnvironment = EnvironmentRecord(
        kernel: "6.18.0", execution: "host", accelerator: nil, timingAllowanceNanoseconds: 0,
        timingAllowanceReason: nil, hostname: "lab-host", failoverVersion: "0.1.0")

    /// active-backup, pull the active slave's cable, the bond fails over, plug it back.
    static func activeBackupPull(failing: Bool = false, file: String = "Playbooks/active-backup-pull.yaml")
        -> PlaybookRecord
    {
        let steps = [
            StepRecord(
                index: 0, text: "expect active_slave of server/bond0 is eth0", location: location(file, 21),
                started: at(0.4), ended: at(0.6), acknowledged: nil, verdict: .passed),
            StepRecord(
                index: 1, text: "pull server/eth0", location: location(file, 23), started: at(1), ended: at(3.2),
                acknowledged: at(2.9), verdict: .passed),
            StepRecord(
                index: 2, text: "expect active_slave of server/bond0 is eth1 within auto", location: location(file, 24),
                started: at(3.3), ended: failing ? at(303.3) : at(112.5), acknowledged: nil,
                verdict: failing ? .failed : .passed),
            StepRecord(
                index: 3, text: "plug server/eth0", location: location(file, 26), started: at(115), ended: at(116.1),
                acknowledged: at(115.8), verdict: .passed),
            StepRecord(
                index: 4, text: "expect mii_status of server/eth0 is up within 500ms", location: location(file, 27),
                started: at(116.2), ended: at(221.7), acknowledged: nil, verdict: .passed),
        ]
        let assertions = [
            AssertionRecord(
                stepIndex: 0, description: "active_slave of server/bond0 is eth0", expected: "eth0", actual: "eth0",
                verdict: .passed, deadline: nil, satisfiedAt: at(0.5), started: at(0.4), ended: at(0.6),
                location: location(file, 21, 15)),
            AssertionRecord(
                stepIndex: 2, description: "active_slave of server/bond0 is eth1 within auto", expected: "eth1",
                actual: failing ? "eth0" : "eth1", verdict: failing ? .failed : .passed,
                deadline: DeadlineRecord(nanoseconds: 300_000_000, source: "derived", allowanceNanoseconds: 0),
                satisfiedAt: failing ? nil : at(112.4), started: at(3.3), ended: failing ? at(303.3) : at(112.5),
                location: location(file, 24, 15)),
            AssertionRecord(
                stepIndex: 4, description: "mii_status of server/eth0 is up within 500ms", expected: "up", actual: "up",
                verdict: .passed,
                deadline: DeadlineRecord(nanoseconds: 500_000_000, source: "playbook", allowanceNanoseconds: 0),
                satisfiedAt: at(221.6), started: at(116.2), ended: at(221.7), location: location(file, 27, 15)),
        ]
        var observations = [
            ObservationRecord(
                time: at(3.0), host: "server", interface: "eth0", kind: "link", detail: "carrier down (changes 1)"),
            ObservationRecord(
                time: at(104.1), host: "server", interface: "eth0", kind: "slave", detail: "mii down, backup"),
            ObservationRecord(
                time: at(115.9), host: "server", interface: "eth0", kind: "link", detail: "carrier up (changes 2)"),
            ObservationRecord(
                time: at(221.5), host: "server", interface: "eth0", kind: "slave", detail: "mii up, backup"),
        ]
        if !failing {
            observations.insert(
                ObservationRecord(
                    time: at(112.3), host: "server", interface: "bond0", kind: "active_slave", detail: "eth1"),
                at: 2)
        }
        return PlaybookRecord(
            name: "active-backup-pull", file: file, seed: "bond fails over to eth1 when eth0's cable is pulled",
            verdict: failing ? .failed : .passed, message: nil, started: at(0), ended: failing ? at(305) : at(223),
            timers: [TimerRecord(name: "server/bond0 miimon", milliseconds: 100)], steps: steps, assertions: assertions,
            observations: observations)
    }

    /// One kernel, one passing playbook.
    static var passing: [RunRecord] {
        [
            RunRecord(
                runID: "3f2a1c", startedAt: "2026-11-22T10:15:02Z", environment: kvmEnvironment,
                playbooks: [activeBackupPull()])
        ]
    }

    /// A TCG run: one failed playbook (with characters that need escaping), one errored at
    /// build, one errored at run time, one skipped.
    static var failing: [RunRecord] {
        let file = "Playbooks/primary-reselect.yaml"
        let failed = PlaybookRecord(
            name: "primary-reselect <better> & \"quoted\"", file: file, seed: "primary_reselect=better keeps eth1",
            verdict: .failed, message: nil, started: at(0), ended: at(1_640),
            timers: [
                TimerRecord(name: "server/bond0 miimon", milliseconds: 100),
                TimerRecord(name: "server/bond0 updelay", milliseconds: 200),
            ],
            steps: [
                StepRecord(
                    index: 0, text: "set server/bond0 primary_reselect=better", location: location(file, 30),
                    started: at(1), ended: at(2.5), acknowledged: at(2.4), verdict: .passed),
                StepRecord(
                    index: 1, text: "pull server/eth0", location: location(file, 31), started: at(3), ended: at(4.1),
                    acknowledged: at(4), verdict: .passed),
                StepRecord(
                    index: 2,
                    text: "expect active_slave of server/bond0 is eth1 within 500ms; carrier of server/eth0 is down",
                    location: location(file, 32), started: at(4.2), ended: at(504.2), acknowledged: nil,
                    verdict: .failed),
                StepRecord(
                    index: 3, text: "expect outage of probe p1 (last fault window) is <= 300ms (timestamp) within auto",
                    location: location(file, 36), started: at(504.3), ended: at(1_639), acknowledged: nil,
                    verdict: .failed),
            ],
            assertions: [
                AssertionRecord(
                    stepIndex: 2, description: "active_slave of server/bond0 is eth1 within 500ms", expected: "eth1",
                    actual: "eth0", verdict: .failed,
                    deadline: DeadlineRecord(nanoseconds: 500_000_000, source: "playbook", allowanceNanoseconds: 0),
                    satisfiedAt: at(730.9), started: at(4.2), ended: at(504.2), location: location(file, 33, 9),
                    message: "bond reported \"eth0\" <still> & unchanged\u{1}\ttab"),
                AssertionRecord(
                    stepIndex: 2, description: "carrier of server/eth0 is down", expected: "down", actual: "down",
                    verdict: .passed, deadline: nil, satisfiedAt: at(4.3), started: at(4.2), ended: at(4.3),
                    location: location(file, 34, 9)),
                AssertionRecord(
                    stepIndex: 3,
                    description: "outage of probe p1 (last fault window) is <= 300ms (timestamp) within auto",
                    expected: "<= 300ms (timestamp)", actual: "412.5 ms (timestamp method, resolution 0.1 ms)",
                    verdict: .failed,
                    deadline: DeadlineRecord(
                        nanoseconds: 1_130_000_000, source: "derived", allowanceNanoseconds: 1_000_000_000),
                    satisfiedAt: nil, started: at(504.3), ended: at(1_634.3), location: location(file, 37, 9)),
            ],
            observations: [
                ObservationRecord(
                    time: at(4.05), host: "server", interface: "eth0", kind: "link", detail: "carrier down (changes 1)"),
                ObservationRecord(
                    time: at(110.2), host: "server", interface: "eth0", kind: "slave", detail: "mii down"),
                ObservationRecord(
                    time: at(730.9), host: "server", interface: "bond0", kind: "active_slave", detail: "eth1"),
            ])
        let buildError = PlaybookRecord(
            name: "lacp-two-switches", file: "Playbooks/lacp-two-switches.yaml", seed: nil, verdict: .errored,
            message:
                "build: ip -n fo1a2b3c-server link add bond0 type bond mode 802.3ad: exit 2: Error: Unknown device type.",
            started: at(2_000), ended: at(2_140), timers: [], steps: [], assertions: [], observations: [])
        let runError = PlaybookRecord(
            name: "switch-down", file: "Playbooks/switch-down.yaml", seed: nil, verdict: .errored,
            message: "step 2 errored", started: at(3_000), ended: at(3_210), timers: [],
            steps: [
                StepRecord(
                    index: 0, text: "switch_down sw1", location: location("Playbooks/switch-down.yaml", 18),
                    started: at(3_001), ended: at(3_002), acknowledged: at(3_001.9), verdict: .passed),
                StepRecord(
                    index: 1, text: "expect carrier of client/eth0 is up",
                    location: location("Playbooks/switch-down.yaml", 19),
                    started: at(3_003), ended: at(3_200), acknowledged: nil, verdict: .errored,
                    message: "netlink dump failed: ENOBUFS twice"),
            ],
            assertions: [
                AssertionRecord(
                    stepIndex: 1, description: "carrier of client/eth0 is up", expected: "up", actual: "unknown",
                    verdict: .errored, deadline: nil, satisfiedAt: nil, started: at(3_003), ended: at(3_200),
                    location: location("Playbooks/switch-down.yaml", 19, 13),
                    message: "netlink dump failed: ENOBUFS twice")
            ],
            observations: [])
        let skipped = PlaybookRecord(
            name: "carp-takeover", file: "Playbooks/carp-takeover.yaml", seed: nil, verdict: .skipped,
            message: "needs ucarp, not installed", started: at(4_000), ended: at(4_000), timers: [], steps: [],
            assertions: [], observations: [])
        return [
            RunRecord(
                runID: "9b8c7d", startedAt: "2026-11-22T11:00:00.250Z", environment: tcgEnvironment,
                playbooks: [failed, buildError, runError, skipped])
        ]
    }

    /// The same playbook on two kernels: passes on one, fails on the other.
    static var matrix: [RunRecord] {
        [
            RunRecord(
                runID: "aa11bb", startedAt: "2026-11-22T12:00:00Z", environment: kvmEnvironment,
                playbooks: [activeBackupPull()]),
            RunRecord(
                runID: "aa11bb", startedAt: "2026-11-22T12:00:40Z",
                environment: EnvironmentRecord(
                    kernel: "6.12.38+deb13-amd64", execution: "vm", accelerator: "kvm", timingAllowanceNanoseconds: 0,
                    timingAllowanceReason: nil, hostname: "ci-runner-7", failoverVersion: "0.1.0"),
                playbooks: [activeBackupPull(failing: true)]),
        ]
    }

    /// A probe record: one direction, a failover window (pull) and a reversion window (plug), witness agreeing.
    static func probeRecord(witnessAgrees: Bool = true) -> ProbeRecord {
        let interval: Int64 = 100_000
        func tbm(_ ns: Int64, lowerBound: Bool = false) -> ProbeTimeRecord {
            ProbeTimeRecord(
                nanoseconds: ns, method: "timestamp (RFC 6414 TBM)", resolutionNanoseconds: interval,
                lowerBound: lowerBound)
        }
        func plbm(_ ns: Int64) -> ProbeTimeRecord {
            ProbeTimeRecord(nanoseconds: ns, method: "packet loss (RFC 6414 PLBM)", resolutionNanoseconds: interval)
        }
        let windows = [
            ProbeWindowRecord(
                stepIndex: 1, kind: "failover", sent: 1140, received: 16, lost: 1124, duplicated: 0, reordered: 0,
                sendErrors: 0, lossPeriodCount: 1, timestampTime: tbm(112_500_000), lossTime: plbm(112_400_000),
                recovered: true,
                additiveBackupDelay: ProbeTimeRecord(
                    nanoseconds: 3_000, method: "median one-way delay after minus before", resolutionNanoseconds: 1000),
                outageStart: at(1)),
            ProbeWindowRecord(
                stepIndex: 3, kind: "reversion", sent: 1080, received: 1080, lost: 0, duplicated: 0, reordered: 0,
                sendErrors: 0, lossPeriodCount: 0, timestampTime: tbm(0), lossTime: plbm(0), recovered: true,
                additiveBackupDelay: nil),
        ]
        let witness = ProbeWitnessRecord(
            tool: "tcpdump", file: "captures-3f2a1c/witness-p1-forward-3f2a1c.pcap", interface: "server/bond0",
            matching: witnessAgrees ? 1096 : 1090, uniqueSequences: witnessAgrees ? 1096 : 1090,
            largestGapNanoseconds: 112_520_000, droppedByKernel: 0, toleranceNanoseconds: 1_100_000,
            receivedAgrees: witnessAgrees, outageAgrees: true,
            detail: witnessAgrees
                ? "captured 1096, probe received 1096; largest gap 112.52 ms, probe outage 112.5 ms"
                : "captured 1090, probe received 1096 (differ); largest gap 112.52 ms, probe outage 112.5 ms")
        return ProbeRecord(
            probe: "p1", direction: "forward", from: "client", to: "server", sourceAddress: "198.18.0.2",
            destinationAddress: "198.18.0.1", port: 40_000, streamID: 4242, rate: 10_000, intervalNanoseconds: interval,
            sent: 2220, received: 1096, lost: 1124, duplicated: 0, reordered: 0, sendErrors: 0, receiverDrops: 0,
            lossPeriodCount: 1, lossPeriodMinLength: 1124, lossPeriodMaxLength: 1124, lostBeforeFirstFault: 0,
            windows: windows, witness: witness, measurementError: nil, timestamping: "kernel (SO_TIMESTAMPNS)")
    }

    /// One kernel, one passing playbook with a traffic probe.
    static var withProbes: [RunRecord] {
        var playbook = activeBackupPull()
        playbook.probes = [probeRecord()]
        return [
            RunRecord(
                runID: "3f2a1c", startedAt: "2026-11-22T10:15:02Z", environment: kvmEnvironment, playbooks: [playbook])
        ]
    }

    /// A loss check fails at step 4 with a message that restates expected and actual (as the
    /// runner wrote it); steps 5–7 never ran, and step 7 repeats step 4's text. The playbook path
    /// is absolute, as the kernel lab records it.
    static var skippedAfterFailure: [RunRecord] {
        let file = "/home/ci/workspace/Playbooks/probe-loss.yaml"
        let actual = "forward: 0 lost of 0; reverse: 0 lost of 0"
        let loss = "expect loss of probe p1 (last fault window) is >= 18"
        let steps = [
            StepRecord(
                index: 0, text: "hold 1s", location: location(file, 20), started: at(1), ended: at(1_001),
                acknowledged: nil, verdict: .passed),
            StepRecord(
                index: 1, text: "pull server/eth0", location: location(file, 21), started: at(1_001),
                ended: at(1_002), acknowledged: at(1_001.5), verdict: .passed),
            StepRecord(
                index: 2, text: "hold 2s", location: location(file, 22), started: at(1_002), ended: at(3_002),
                acknowledged: nil, verdict: .passed),
            StepRecord(
                index: 3, text: loss, location: location(file, 23), started: at(3_002), ended: at(3_003),
                acknowledged: nil, verdict: .failed),
            StepRecord(
                index: 4, text: "plug server/eth0", location: location(file, 24), started: at(3_010),
                ended: at(3_010), acknowledged: nil, verdict: .skipped, message: "not run: an earlier step did not pass"
            ),
            StepRecord(
                index: 5, text: "expect carrier of server/eth0 is up within 100ms", location: location(file, 25),
                started: at(3_010), ended: at(3_010), acknowledged: nil, verdict: .skipped,
                message: "not run: an earlier step did not pass"),
            StepRecord(
                index: 6, text: loss, location: location(file, 26), started: at(3_010), ended: at(3_010),
                acknowledged: nil, verdict: .skipped, message: "not run: an earlier step did not pass"),
        ]
        let assertion = AssertionRecord(
            stepIndex: 3, description: String(loss.dropFirst("expect ".count)), expected: ">= 18", actual: actual,
            verdict: .failed, deadline: nil, satisfiedAt: nil, started: at(3_002), ended: at(3_003),
            location: location(file, 23, 13), message: "expected >= 18, was \(actual)")
        let playbook = PlaybookRecord(
            name: "probe-loss", file: file, seed: nil, verdict: .failed, message: nil, started: at(0),
            ended: at(3_010), timers: [], steps: steps, assertions: [assertion], observations: [])
        return [
            RunRecord(
                runID: "5e5e5e", startedAt: "2026-12-03T09:00:00Z", environment: hostEnvironment,
                playbooks: [playbook])
        ]
    }

    static let all: [(name: String, runs: [RunRecord])] = [
        ("passing", passing), ("failing", failing), ("matrix", matrix), ("probes", withProbes),
        ("skipped", skippedAfterFailure),
    ]
}
