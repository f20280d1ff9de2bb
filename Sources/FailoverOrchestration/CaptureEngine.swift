import FailoverCapture
import FailoverCore
import FailoverModel
import FailoverSystem
import Logging

/// The playbook's packet captures on libpcap (`PacketCaptures` for the runner): one `LiveCapture`
/// per declared capture, inside the namespace of the switch (its bridge port facing the host
/// interface) or of the host; at the end one pcapng file with an interface block per capture
/// (named by its role, `sw1:server-eth0`) and the fault steps as comments.
actor CaptureEngine: PacketCaptures {
    let names: RunNames
    let topology: Topology
    /// The playbook's probes (the flow assertions find a probe's port and flows here).
    let probes: [ProbeSpec]
    /// `captures/` in the run's results directory; nil: the frames are not written.
    let directory: SafeDirectory?
    /// The pcapng file's name stem (the playbook's name made safe for a file name).
    let fileStem: String
    let logger: Logger
    private var running: [(spec: CaptureSpec, capture: LiveCapture)] = []
    private var marks: [StepMark] = []

    init(names: RunNames, playbook: Playbook, directory: SafeDirectory?, logger: Logger) {
        self.names = names
        self.topology = playbook.topology
        self.probes = playbook.probes
        self.directory = directory
        self.fileStem = Self.fileStem(playbook.name)
        self.logger = logger
    }

    /// `name` with every character outside [A-Za-z0-9._-] as '-', at most 64 characters.
    static func fileStem(_ name: String) -> String {
        let safe = name.unicodeScalars.map { scalar -> Character in
            let ok =
                scalar.isASCII
                && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                    || "._-".unicodeScalars.contains(scalar))
            return ok ? Character(scalar) : "-"
        }
        let text = String(safe.prefix(64))
        return text.isEmpty || text.hasPrefix(".") ? "capture" + text : text
    }

    /// The libpcap request of `spec` in this run's namespaces.
    func request(_ spec: CaptureSpec) -> CaptureRequest {
        switch spec.target {
        case .port(let sw, let facing):
            let port = RunNames.switchPortNames(topology)[facing] ?? "\(facing.host)-\(facing.interface)"
            return CaptureRequest(
                namespace: names.namespace(sw), interface: port, label: spec.target.label, filter: spec.filter ?? "")
        case .interface(let ref):
            return CaptureRequest(
                namespace: names.namespace(ref.host), interface: ref.interface, label: spec.target.label,
                filter: spec.filter ?? "")
        }
    }

    func start(_ captures: [CaptureSpec]) async throws {
        for spec in captures {
            let capture = try LiveCapture.start(request(spec), logger: logger)
            running.append((spec, capture))
        }
    }

    func mark(_ text: String, at instant: MonotonicInstant) async {
        marks.append(StepMark(monotonicNanoseconds: instant.nanoseconds, text: text))
    }

    func evaluate(
        _ assertion: Assertion, faults: [FaultMark], stepStarted: MonotonicInstant, now: MonotonicInstant,
        sourceMAC: MACAddress?
    ) async throws -> ProbeEvaluation {
        let capture: String
        let match: FrameMatch
        var bound: FrameCountBound?
        var within: Duration?
        var spacing: FrameSpacing?
        switch assertion {
        case .frames(let name, let pattern, let comparison, let window, let gaps):
            (capture, match, within, spacing) = (name, pattern, window, gaps)
            bound =
                switch comparison {
                case .equals(let n): .exactly(n)
                case .atLeast(let n): .atLeast(n)
                case .atMost(let n): .atMost(n)
                }
        case .firstFrame(let name, let pattern, let deadline):
            (capture, match, within) = (name, pattern, deadline)
        case .flowPlacement, .distribution, .flowLoss:
            return evaluateFlows(assertion, faults: faults, now: now)
        default:
            return ProbeEvaluation(
                holds: false, actual: "n/a", measurementError: "\(assertion.key) is not a capture check")
        }
        guard let fault = faults.last else {
            return ProbeEvaluation(holds: false, actual: "n/a", measurementError: "no fault before this check")
        }
        let entry = running.first { $0.spec.name == capture || $0.spec.target.label == capture }
        return Self.decide(
            match, bound: bound, within: within, fault: fault.at, stepStarted: stepStarted, now: now,
            sourceMAC: sourceMAC, port: entry?.spec.target.label ?? capture, capture: entry?.capture.snapshot(),
            spacing: spacing)
    }

    /// `flow_placement` / `distribution` on the captures of the bond's members (in enslave order),
    /// in the assertion's window (`FlowWindow`; nil: from the last fault, or the start, to `now`).
    func evaluateFlows(_ assertion: Assertion, faults: [FaultMark], now: MonotonicInstant) -> ProbeEvaluation {
        let probeName: String
        let bondRef: InterfaceRef
        let flowWindow: FlowWindow?
        switch assertion {
        case .flowPlacement(let name, let ref, _, let chosen): (probeName, bondRef, flowWindow) = (name, ref, chosen)
        case .distribution(let name, let ref, _, _, let chosen): (probeName, bondRef, flowWindow) = (name, ref, chosen)
        case .flowLoss(let name, let ref, _, _): (probeName, bondRef, flowWindow) = (name, ref, nil)
        default:
            return ProbeEvaluation(
                holds: false, actual: "n/a", measurementError: "\(assertion.key) is not a flow check")
        }
        guard let probe = probes.first(where: { $0.name == probeName }),
            let bond = topology.bond(at: bondRef), let port = UInt16(exactly: probe.port)
        else {
            return ProbeEvaluation(
                holds: false, actual: "n/a", measurementError: "no probe \(probeName) or no bond \(bondRef) here")
        }
        let sources = Self.sourceAddresses(of: bondRef, probe: probe, in: topology)
        let members = bond.slaves.map { slave -> FlowChecks.Member in
            let ref = InterfaceRef(host: bondRef.host, interface: slave)
            let spec = CaptureSpec.onMember(ref, in: running.map(\.spec))
            let entry = running.first { $0.spec == spec }
            return FlowChecks.Member(
                name: slave, label: spec?.target.label ?? "\(ref)", capture: entry?.capture.snapshot())
        }
        var window = Self.frameWindow(flowWindow, lastFault: faults.last?.at.nanoseconds, now: now.nanoseconds)
        // flow_loss over the run looks at every frame (else from the last fault, as its scope).
        if case .flowLoss(_, _, _, .run) = assertion { window = FrameWindow(start: 0, end: now.nanoseconds) }
        let frames = FlowChecks.ProbeFrames(port: port, sources: sources)
        let outcome: FrameCheckOutcome
        switch assertion {
        case .flowPlacement(_, _, let usable, _):
            outcome = FlowChecks.placement(
                members, probe: frames, flows: probe.flows, window: window,
                policy: bond.options.xmitHashPolicy ?? .layer2, usable: usable ?? bond.slaves)
        case .distribution(_, _, let member, let percent, _):
            outcome = FlowChecks.distribution(members, probe: frames, member: member, percent: percent, window: window)
        case .flowLoss:
            if let problem = FlowChecks.unusable(members) {
                return ProbeEvaluation(holds: false, actual: "not decided", measurementError: problem)
            }
            let rows = FlowChecks.rows(members, probe: frames, window: window, policy: .layer2, usable: [])
            var evaluation = ProbeEvaluation(holds: !rows.isEmpty, actual: "\(rows.count) flows seen")
            evaluation.flowMembers = Dictionary(uniqueKeysWithValues: rows.map { (Int($0.sourcePort), $0.actual) })
            return evaluation
        default:
            return ProbeEvaluation(
                holds: false, actual: "n/a", measurementError: "\(assertion.key) is not a flow check")
        }
        switch outcome {
        case .passed(let text): return ProbeEvaluation(holds: true, actual: text, at: now)
        case .failed(let text): return ProbeEvaluation(holds: false, actual: text)
        case .errored(let text): return ProbeEvaluation(holds: false, actual: "not decided", measurementError: text)
        }
    }

    /// The frames a flow assertion looks at: from the last fault (0 without one) plus `after`, or
    /// the last `last` before `now`; always up to `now`.
    static func frameWindow(_ window: FlowWindow?, lastFault: UInt64?, now: UInt64) -> FrameWindow {
        func nanoseconds(_ duration: Duration) -> UInt64 {
            UInt64(clamping: max(0, duration.components.seconds)) * 1_000_000_000
                + UInt64(clamping: max(0, duration.components.attoseconds / 1_000_000_000))
        }
        switch window {
        case nil: return FrameWindow(start: lastFault ?? 0, end: now)
        case .after(let duration)?: return FrameWindow(start: (lastFault ?? 0) + nanoseconds(duration), end: now)
        case .last(let duration)?:
            let length = nanoseconds(duration)
            return FrameWindow(start: now > length ? now - length : 0, end: now)
        }
    }

    /// The addresses the bond's probe frames come from: the probe's `from_address`, else every
    /// address of the bond.
    static func sourceAddresses(of bond: InterfaceRef, probe: ProbeSpec, in topology: Topology) -> Set<IPAddress> {
        if let address = probe.fromAddress { return [address] }
        let assigned = topology.host(named: bond.host)?.addresses.filter { $0.interface == bond.interface } ?? []
        return Set(assigned.flatMap(\.addresses).map { IPAddress(family: $0.family, bytes: $0.bytes) })
    }

    /// The decision of a capture check on `capture` (nil: no capture there): `frames` when `bound`
    /// is given, else `first_frame`; the window starts at `fault` and lasts `within` (nil: until
    /// `stepStarted`). An exact or upper bound holds only once `now` is past the window.
    static func decide(
        _ match: FrameMatch, bound: FrameCountBound?, within: Duration?, fault: MonotonicInstant,
        stepStarted: MonotonicInstant, now: MonotonicInstant, sourceMAC: MACAddress?, port: String,
        capture result: CaptureResult?, spacing: FrameSpacing? = nil
    ) -> ProbeEvaluation {
        let window =
            within.map { FrameWindow(after: fault.nanoseconds, within: $0) }
            ?? FrameWindow(start: fault.nanoseconds, end: stepStarted.nanoseconds)
        let pattern = FramePattern(
            kind: match.kind, sourceMAC: sourceMAC, senderIP: match.senderIP, override: match.override)
        // The matching frames in the window, in time order (what FrameChecks counts).
        let times = (result?.frames ?? []).filter { window.contains($0.monotonicNanoseconds) }
            .filter { frame in frame.decoded.map(pattern.matches) ?? false }
            .map(\.monotonicNanoseconds).sorted()
        let closed = now.nanoseconds > window.end
        var outcome: FrameCheckOutcome
        var at: UInt64?
        switch bound {
        case .atLeast(let n)?:
            outcome = FrameChecks.count(pattern, .atLeast(n), in: window, port: port, capture: result)
            // Settled by the n-th matching frame (n = 0: at the fault).
            at = n == 0 ? window.start : (times.count >= n ? times[n - 1] : nil)
        case let bound?:
            outcome = FrameChecks.count(pattern, bound, in: window, port: port, capture: result)
            // The spacing is judged once the count is right (its gaps are the count's frames).
            if case .passed(let counted) = outcome, let spacing {
                let spaced = FrameChecks.spacing(pattern, spacing, in: window, port: port, capture: result)
                outcome = if case .passed(let text) = spaced { .passed(counted + "; " + text) } else { spaced }
            }
            // An exact or upper bound is settled only once the window closed, at its end.
            if case .passed(let text) = outcome, !closed {
                return ProbeEvaluation(holds: false, actual: "window still open: " + text)
            }
            at = window.end
        case nil:
            outcome = FrameChecks.firstFrame(pattern, in: window, port: port, capture: result).outcome
            at = times.first
        }
        switch outcome {
        case .passed(let text):
            return ProbeEvaluation(holds: true, actual: text, at: at.map(MonotonicInstant.init(nanoseconds:)))
        case .failed(let text): return ProbeEvaluation(holds: false, actual: text)
        case .errored(let text): return ProbeEvaluation(holds: false, actual: "not decided", measurementError: text)
        }
    }

    func finish() async -> (records: [CaptureRecord], problems: [String]) {
        var problems: [String] = []
        var results: [(spec: CaptureSpec, result: CaptureResult)] = []
        for (spec, capture) in running {
            do {
                results.append((spec, try capture.stop()))
            } catch {
                problems.append("capture \(spec.name): \(error)")
            }
        }
        running = []
        var file: String?
        if let directory, !results.isEmpty {
            var name = fileStem + ".pcapng"
            var counter = 2
            while directory.entryKind(name) != nil {
                name = "\(fileStem)-\(counter).pcapng"
                counter += 1
            }
            do {
                try CaptureFile.write(results.map(\.result), marks: marks, to: directory, name: name)
                file = "captures/" + name
            } catch {
                problems.append("captures: \(error)")
            }
        }
        let records = results.map { spec, result in
            CaptureRecord(
                name: spec.name, label: result.request.label, filter: spec.filter,
                received: result.statistics.received, droppedByKernel: result.statistics.droppedByKernel,
                droppedByInterface: result.statistics.droppedByInterface, frames: result.frames.count,
                clockErrorNanoseconds: result.statistics.clockErrorNanoseconds, file: file)
        }
        for record in records where record.hasDrops {
            logger.warning(
                "capture \(record.name) dropped frames: kernel \(record.droppedByKernel), interface \(record.droppedByInterface)"
            )
        }
        return (records, problems)
    }
}
