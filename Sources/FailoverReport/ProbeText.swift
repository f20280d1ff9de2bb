import FailoverModel

/// Text for traffic probe figures, shared by the console summary, JUnit and HTML.
enum ProbeText {
    /// `timestamp` / `loss` from a method name such as `timestamp (RFC 6414 TBM)`.
    static func shortMethod(_ method: String) -> String {
        method.split(separator: " ").first.map(String.init) ?? method
    }

    /// The step text of a window (`pull server/eth0`), or `step N`.
    static func stepText(_ window: ProbeWindowRecord, playbook: PlaybookRecord) -> String {
        playbook.steps.first { $0.index == window.stepIndex }?.text ?? "step \(window.stepIndex + 1)"
    }

    /// `pull server/eth0 → failover 212.4 ms (timestamp, ±0.05 ms), 4248 lost (loss method 212.4 ms)`.
    static func windowLine(_ probe: ProbeRecord, _ window: ProbeWindowRecord, playbook: PlaybookRecord) -> String {
        if window.measured == false {
            // No figure of a window the probe did not send across: "failover 0 ms, 0 lost" would be a lie.
            return "probe \(probe.probe) \(probe.direction): \(stepText(window, playbook: playbook)) → \(window.kind) "
                + "NOT MEASURED (\(unmeasuredText(window))); \(window.sent) sent, \(window.lost) lost"
        }
        let time = window.timestampTime
        let bound = time.lowerBound ? "≥ " : ""
        var text =
            "probe \(probe.probe) \(probe.direction): \(stepText(window, playbook: playbook)) → \(window.kind) "
            + "\(bound)\(ReportText.milliseconds(nanoseconds: time.nanoseconds)) (\(shortMethod(time.method)), "
            + "±\(ReportText.milliseconds(nanoseconds: time.resolutionNanoseconds))), \(window.lost) lost "
            + "(loss method \(ReportText.milliseconds(nanoseconds: window.lossTime.nanoseconds)))"
        if window.sendErrors > 0 { text += ", \(window.sendErrors) send errors" }
        if !window.recovered { text += ", not recovered" }
        if let flows = window.lostPerFlow { text += "; " + flowLossText(flows) }
        return text
    }

    /// `lost per flow (source port): 40000 12, 40001 0, …` (the flow number without a port).
    static func flowLossText(_ flows: [FlowLoss]) -> String {
        let hit = flows.filter { $0.lost > 0 }.count
        return "lost per flow (source port), \(hit) of \(flows.count) flows hit: "
            + flows.map { "\($0.sourcePort.map(String.init) ?? "flow \($0.flow)") \($0.lost)" }.joined(separator: ", ")
    }

    /// Why a window is unmeasured.
    static func unmeasuredText(_ window: ProbeWindowRecord) -> String {
        window.unmeasuredReason ?? "the probe was not sending across the window"
    }

    /// `probe p1 forward: 6000 sent, 1760 lost, 0 reordered, 0 duplicated` plus witness.
    static func totalsLine(_ probe: ProbeRecord) -> String {
        var text =
            "probe \(probe.probe) \(probe.direction): \(probe.rate) pps, \(probe.sent) sent, \(probe.received) received, "
            + "\(probe.lost) lost, \(probe.reordered) reordered, \(probe.duplicated) duplicated"
        if let hosts = probe.memberHosts, let counts = probe.receivedByMember, hosts.count == counts.count {
            // A probe to a CARP VIP: who received what (the holder of the VIP at the time).
            text += " (" + zip(hosts, counts).map { "\($1) at \($0)" }.joined(separator: ", ") + ")"
        }
        if probe.sendErrors > 0 { text += ", \(probe.sendErrors) send errors" }
        if probe.receiverDrops > 0 { text += ", \(probe.receiverDrops) receiver drops" }
        if let lateness = probe.senderMaxLatenessNanoseconds, let bound = probe.senderLatenessBoundNanoseconds,
            lateness > bound
        {
            text +=
                ", sender up to \(ReportText.milliseconds(nanoseconds: lateness)) behind its schedule "
                + "(bound \(ReportText.milliseconds(nanoseconds: bound)))"
        }
        if let witness = probe.witness {
            text += "; witness \(witness.tool) \(witness.agrees ? "agrees" : "DISAGREES"): \(witness.detail)"
        }
        return text
    }
}
