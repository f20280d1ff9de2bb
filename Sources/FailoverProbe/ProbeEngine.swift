internal import CNetShims
public import FailoverCore
public import FailoverModel
public import FailoverNetlink
public import Logging
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// The playbook runner's traffic probes over real sockets: one `ProbeStream` per probe direction,
/// opened inside the run's namespaces, optionally watched by a packet capture (`--witness`).
///
/// ```swift
/// let engine = ProbeEngine(playbook: playbook, names: names, logger: logger, witnessDirectory: dir)
/// let runner = PlaybookRunner(backend: backend, probes: engine, clock: clock, logger: logger, families: families)
/// ```
public actor ProbeEngine: TrafficProbes {
    /// One probe direction as resolved for this run.
    struct Resolved {
        var spec: ProbeSpec
        var configuration: ProbeStreamConfiguration
        /// Host names of sender and receiver.
        var from: String
        var to: String
        /// The receiver's interface that holds the destination address (for the witness).
        var receiverInterface: String?
        /// A stream to a CARP VIP: each member's host and CARP interface (the witness captures on
        /// every one and merges), in the order of `configuration.memberNamespaces`.
        var members: [(host: String, interface: String)] = []
    }

    private let playbook: Playbook
    private let names: RunNames
    private let logger: Logger
    private let witnessDirectory: SafeDirectory?
    private let socketFactory: SocketFactory
    private var resolved: [String: [Resolved]] = [:]
    private var resolveError: [String: String] = [:]
    private var streams: [String: [ProbeStream]] = [:]
    /// Per stream: one capture, or one per CARP member for a stream to a VIP.
    private var witnesses: [UInt32: [PacketCapture]] = [:]
    private let witnessEdgeAllowance: Int64
    private let witness: Bool
    /// Sender lateness beyond which fault windows are unmeasured and verdicts errored (ns).
    private let senderLatenessBound: UInt64
    private var finished: [ProbeRecord]?

    /// - Parameters:
    ///   - witness: also capture each receiver interface with tcpdump and compare (files go to
    ///     `witnessDirectory`, opened by the caller; without one the witness errors the probe).
    ///   - witnessEdgeAllowance: added to the witness's gap tolerance where one-way delay is not
    ///     steady (the kernel lab under TCG); recorded in every witness record. Zero elsewhere.
    public init(
        playbook: Playbook, names: RunNames, logger: Logger, witness: Bool = false,
        witnessDirectory: SafeDirectory? = nil,
        witnessEdgeAllowance: Duration = .zero, senderLatenessAllowance: Duration = .zero
    ) {
        self.witnessEdgeAllowance = witnessEdgeAllowance.totalNanoseconds
        self.senderLatenessBound =
            ProbeAnalysis.maximumSenderLatenessNanoseconds + UInt64(max(senderLatenessAllowance.totalNanoseconds, 0))
        self.playbook = playbook
        self.names = names
        self.logger = logger
        self.witness = witness
        self.witnessDirectory = witnessDirectory
        self.socketFactory = ProbeEngine.namespaceSockets
        let base = UInt32.random(in: 1..<0x7FFF_0000) & ~1
        var resolved: [String: [Resolved]] = [:]
        var errors: [String: String] = [:]
        for (index, spec) in playbook.probes.enumerated() {
            do {
                resolved[spec.name] = try Self.resolve(
                    spec, topology: playbook.topology, names: names, streamID: base &+ UInt32(index * 2))
            } catch {
                errors[spec.name] = "\(error)"
            }
        }
        self.resolved = resolved
        self.resolveError = errors
    }

    /// Stream configurations for a probe: namespaces from `names`, addresses from the spec or the
    /// hosts (a bond's first IPv4 address first, then any interface's first IPv4, then IPv6).
    static func resolve(_ spec: ProbeSpec, topology: Topology, names: RunNames, streamID: UInt32) throws -> [Resolved] {
        func host(_ name: String) throws -> Host {
            guard let host = topology.host(named: name) else {
                throw ProbeError(.invalidConfiguration, operation: "find host \(name)", object: "probe \(spec.name)")
            }
            return host
        }
        let fromHost = try host(spec.from)
        if let group = spec.toGroup {
            return [
                try resolveVIP(spec, group: group, from: fromHost, topology: topology, names: names, streamID: streamID)
            ]
        }
        let toHost = try host(spec.to)
        let family = spec.toAddress?.family ?? spec.fromAddress?.family
        guard let fromAddress = spec.fromAddress ?? defaultAddress(of: fromHost, family: family),
            let toAddress = spec.toAddress ?? defaultAddress(of: toHost, family: family ?? fromAddressFamily(fromHost))
        else {
            throw ProbeError(
                .invalidConfiguration, operation: "find addresses of \(spec.from) and \(spec.to)",
                object: "probe \(spec.name)")
        }
        let configurations = ProbeStreamConfiguration.streams(
            for: spec, streamID: streamID, fromNamespace: names.namespace(spec.from),
            toNamespace: names.namespace(spec.to), fromAddress: fromAddress, toAddress: toAddress)
        return configurations.map { configuration in
            let forward = configuration.direction == .forward
            let receiver = forward ? toHost : fromHost
            return Resolved(
                spec: spec, configuration: configuration, from: forward ? spec.from : spec.to,
                to: forward ? spec.to : spec.from,
                receiverInterface: interface(of: receiver, holding: configuration.destinationAddress))
        }
    }

    /// A probe to a CARP group's VIP: forward only, from the client's first IPv4 address to the VIP,
    /// received in every member's namespace.
    static func resolveVIP(
        _ spec: ProbeSpec, group name: String, from fromHost: Host, topology: Topology, names: RunNames,
        streamID: UInt32
    ) throws -> Resolved {
        guard let group = topology.carp.first(where: { $0.name == name }), !group.members.isEmpty else {
            throw ProbeError(.invalidConfiguration, operation: "find carp group \(name)", object: "probe \(spec.name)")
        }
        let vip = IPAddress(family: group.vip.family, bytes: group.vip.bytes)
        guard let fromAddress = spec.fromAddress ?? defaultAddress(of: fromHost, family: vip.family) else {
            throw ProbeError(
                .invalidConfiguration, operation: "find an address of \(spec.from) in the VIP's family",
                object: "probe \(spec.name)")
        }
        var configuration = ProbeStreamConfiguration(
            probe: spec.name, streamID: streamID, direction: .forward, senderNamespace: names.namespace(spec.from),
            receiverNamespace: names.namespace(group.members[0].node), sourceAddress: fromAddress,
            destinationAddress: vip, port: spec.port, rate: spec.rate, payloadSize: spec.payloadSize,
            flows: spec.flows)
        configuration.memberNamespaces = group.members.map { names.namespace($0.node) }
        return Resolved(
            spec: spec, configuration: configuration, from: spec.from, to: name,
            receiverInterface: group.members[0].interface,
            members: group.members.map { ($0.node, $0.interface) })
    }

    private static func fromAddressFamily(_ host: Host) -> InterfaceAddress.Family? {
        defaultAddress(of: host, family: nil)?.family
    }

    static func defaultAddress(of host: Host, family: InterfaceAddress.Family?) -> IPAddress? {
        let bondNames = Set(host.bonds.map(\.name))
        let ordered = host.addresses.filter { bondNames.contains($0.interface) } + host.addresses
        for wanted in family.map({ [$0] }) ?? [.ipv4, .ipv6] {
            for entry in ordered {
                if let address = entry.addresses.first(where: { $0.family == wanted }) {
                    return IPAddress(family: address.family, bytes: address.bytes)
                }
            }
        }
        return nil
    }

    static func interface(of host: Host, holding address: IPAddress) -> String? {
        host.addresses.first { entry in
            entry.addresses.contains { $0.family == address.family && $0.bytes == address.bytes }
        }?.interface
    }

    /// Opens sockets inside a named namespace on a dedicated thread (setns never runs on a Swift
    /// concurrency thread; the socket stays in the namespace it was created in).
    static let namespaceSockets: SocketFactory = { namespace, family, type in
        guard let namespace else { return try ProbeStream.currentNamespaceSockets(nil, family, type) }
        let namespaceFD = try NetworkNamespace.open(namespace)
        defer { _ = close(namespaceFD) }
        return try NamespaceThread.run(namespaceFD: namespaceFD, label: namespace) { () throws -> Int32 in
            let fd = socket(family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                throw ProbeError(.syscall, operation: "socket", object: "namespace \(namespace)", errno: errno)
            }
            return fd
        }
    }

    // MARK: TrafficProbes

    public func start(_ probeNames: [String]) async throws {
        for name in probeNames {
            guard streams[name] == nil else {
                throw ProbeError(.invalidState, operation: "start (already started)", object: "probe \(name)")
            }
            if let error = resolveError[name] {
                throw ProbeError(.invalidConfiguration, operation: error, object: "probe \(name)")
            }
            guard let directions = resolved[name] else {
                throw ProbeError(.invalidConfiguration, operation: "start (not declared)", object: "probe \(name)")
            }
            var opened: [ProbeStream] = []
            do {
                for direction in directions {
                    if witness {
                        guard let witnessDirectory else {
                            throw ProbeError(
                                .invalidConfiguration, operation: "witness: no directory for the capture",
                                object: "probe \(name)")
                        }
                        try await startWitness(direction, directory: witnessDirectory)
                    }
                    opened.append(
                        try ProbeStream(
                            configuration: direction.configuration, socketFactory: socketFactory, logger: logger))
                }
                for stream in opened { try stream.start() }
            } catch {
                for stream in opened { _ = await stream.stop() }
                throw error
            }
            streams[name] = opened
            logger.info(
                "probe started",
                metadata: [
                    "probe": "\(name)", "streams": "\(opened.count)",
                    "rate": "\(directions.first?.configuration.rate ?? 0)",
                ])
        }
    }

    public func stop(_ name: String) async throws {
        guard let opened = streams[name] else {
            throw ProbeError(.invalidState, operation: "stop (not started)", object: "probe \(name)")
        }
        for stream in opened { _ = await stream.stop() }
    }

    public func evaluate(_ assertion: Assertion, stepIndex: Int, faults: [FaultMark]) async throws -> ProbeEvaluation {
        let name: String
        switch assertion {
        case .loss(let probe, _, _), .reordered(let probe, _, _), .outage(let probe, _, _, _),
            .flowLoss(let probe, _, _, _):
            name = probe
        default:
            throw ProbeError(.invalidConfiguration, operation: "evaluate \(assertion)", object: "probes")
        }
        guard let opened = streams[name] else {
            throw ProbeError(.invalidState, operation: "evaluate (probe not started)", object: "probe \(name)")
        }
        let probeFaults = probeFaults(faults)
        // Incremental: only arrivals since the previous evaluation are analysed. Packets sent within
        // the drain interval before now are in flight, not lost.
        let reports = opened.map { $0.evaluate(faults: probeFaults, senderLatenessBound: senderLatenessBound) }
        if case .flowLoss(_, _, _, let scope) = assertion {
            let result = ProbeAnalysis.flowLoss(reports, scope: scope, currentStep: stepIndex)
            let problems = [ProbeAnalysis.measurementProblem(reports), result.problem].compactMap { $0 }
            var evaluation = ProbeEvaluation(
                holds: result.flows != nil, actual: result.actual,
                measurementError: problems.isEmpty ? nil : problems.joined(separator: "; "))
            evaluation.flowLoss = result.flows
            return evaluation
        }
        guard let result = ProbeAnalysis.evaluate(assertion, reports: reports, currentStep: stepIndex) else {
            throw ProbeError(.invalidState, operation: "evaluate (no report)", object: "probe \(name)")
        }
        let problems = [ProbeAnalysis.measurementProblem(reports), result.unmeasured].compactMap { $0 }
        return ProbeEvaluation(
            holds: result.holds, actual: result.actual,
            measurementError: problems.isEmpty ? nil : problems.joined(separator: "; "))
    }

    public func finish(faults: [FaultMark]) async -> [ProbeRecord] {
        if let finished { return finished }
        let probeFaults = probeFaults(faults)
        var records: [ProbeRecord] = []
        for spec in playbook.probes {
            guard let opened = streams[spec.name], let directions = resolved[spec.name] else { continue }
            // Stop all directions together: their drain intervals overlap.
            let captures = await withTaskGroup(of: (Int, ProbeCapture).self) { group in
                for (index, stream) in opened.enumerated() { group.addTask { (index, await stream.stop()) } }
                var result: [Int: ProbeCapture] = [:]
                for await (index, capture) in group { result[index] = capture }
                return result
            }
            for (index, direction) in directions.enumerated() {
                guard let capture = captures[index] else { continue }
                let report = ProbeAnalysis.analyze(
                    capture, faults: probeFaults, senderLatenessBound: senderLatenessBound)
                var record = Self.record(report, direction: direction, capture: capture)
                if !direction.members.isEmpty {
                    record.memberHosts = direction.members.map(\.host)
                    record.receivedByMember = capture.receiver.receivedByMember.map { Int(clamping: $0) }
                }
                record.senderLatenessBoundNanoseconds = Int64(senderLatenessBound)
                if let witness = witnesses.removeValue(forKey: direction.configuration.streamID), !witness.isEmpty {
                    record.witness = await compare(
                        witness, record: record, report: report, capture: capture, faults: probeFaults)
                }
                records.append(record)
            }
        }
        // Captures of probes that never started.
        for capture in witnesses.values.joined() { _ = await capture.stop() }
        witnesses = [:]
        finished = records
        return records
    }

    // MARK: helpers

    private func probeFaults(_ faults: [FaultMark]) -> [ProbeFault] {
        faults.map { ProbeFault(stepIndex: $0.stepIndex, at: $0.at, kind: ProbeFault.Kind($0.polarity)) }
    }

    private func startWitness(_ direction: Resolved, directory: SafeDirectory) async throws {
        let configuration = direction.configuration
        // A stream to a VIP: one capture per member (the VIP's holder receives), merged when compared.
        let places: [(namespace: String?, interface: String?, host: String?)] =
            direction.members.isEmpty
            ? [(configuration.receiverNamespace, direction.receiverInterface, nil)]
            : zip(configuration.memberNamespaces, direction.members).map { ($0, $1.interface, $1.host) }
        for place in places {
            guard let namespace = place.namespace, let interface = place.interface else {
                throw ProbeError(
                    .invalidConfiguration, operation: "witness: find the receiver interface",
                    object: "probe \(configuration.probe) (\(configuration.direction))")
            }
            // One file per playbook, probe and direction (and member): the playbooks of one invocation
            // share the run id.
            let file = Self.witnessFileName(
                playbookFile: playbook.file, probe: configuration.probe + (place.host.map { "-at-\($0)" } ?? ""),
                direction: "\(configuration.direction)", runID: names.runID)
            // A VIP's member: what its kernel delivered (NFLOG from the input hook), not what reached
            // its interface (see `PacketCapture`). The group: any number unique to the stream.
            let capture = try PacketCapture(
                namespace: namespace, interface: interface, port: configuration.port, directory: directory, name: file,
                logger: logger, nflogGroup: place.host == nil ? nil : Int(configuration.streamID % 60_000) + 1)
            witnesses[configuration.streamID, default: []].append(capture)
            try await capture.waitUntilCapturing()
        }
    }

    /// `witness-<playbook>-<probe>-<direction>-<run id>.pcap`, built only from safe characters
    /// whatever the names hold: the playbook file's stem lowercased with every character outside
    /// `[a-z0-9_-]` as `_` (`playbook` when empty), the other parts with every byte outside
    /// `[a-z0-9_-]` as `%XX`; a part too long for a file name is cut and gets a hash of the whole
    /// (`-h<16 hex>`). Never contains `/`, is never `.` or `..`, never longer than 255 bytes.
    static func witnessFileName(playbookFile: String, probe: String, direction: String, runID: String) -> String {
        func safe(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        func escaped(_ text: String) -> String {
            var out = ""
            for byte in text.utf8 {
                if safe(byte) {
                    out.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    let hex = String(byte, radix: 16, uppercase: true)
                    out += "%" + (hex.count < 2 ? "0" + hex : hex)
                }
            }
            return out
        }
        /// At most `limit` characters: a longer part keeps its start and gets `-h` and the
        /// FNV-1a hash of the original, so the whole name stays under NAME_MAX (255) and distinct.
        func bounded(_ part: String, _ original: String, limit: Int) -> String {
            guard part.count > limit else { return part }
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in original.utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            let hex = String(hash, radix: 16)
            return String(part.prefix(limit - 18)) + "-h" + String(repeating: "0", count: 16 - hex.count) + hex
        }
        var stem = String(
            FilePath(playbookFile).stem?.lowercased().unicodeScalars.map { scalar in
                scalar.isASCII && safe(UInt8(scalar.value)) ? Character(scalar) : "_"
            } ?? [])
        if stem.isEmpty { stem = "playbook" }
        return "witness-\(bounded(stem, playbookFile, limit: 64))-\(bounded(escaped(probe), probe, limit: 96))-"
            + "\(bounded(escaped(direction), direction, limit: 16))-\(bounded(escaped(runID), runID, limit: 16)).pcap"
    }

    private func compare(
        _ captures: [PacketCapture], record: ProbeRecord, report: ProbeReport, capture probeCapture: ProbeCapture,
        faults: [ProbeFault]
    ) async -> ProbeWitnessRecord {
        let direction: ProbeDirection = record.direction == "reverse" ? .reverse : .forward
        // Per capture, as many of the stream's packets as its receiver got (a VIP's member: its own
        // count; one capture: all of them).
        let byMember = probeCapture.receiver.receivedByMember
        var dropped: Int?
        for (index, capture) in captures.enumerated() {
            let expected = Int(index < byMember.count ? byMember[index] : report.receiver.received)
            // Stop tcpdump once its file holds as many of the stream's packets as the probe received
            // (or it stops growing): what it still has queued would be lost on SIGINT.
            var counter = GrowingPcapCount(
                path: capture.capturePath, streamID: record.streamID, direction: direction, port: record.port)
            let outcome = await capture.stop(caughtUp: { counter.update() >= expected })
            if let count = outcome.droppedByKernel { dropped = (dropped ?? 0) + count }
        }
        let interface =
            record.memberHosts.map { hosts in
                zip(hosts, captures).map { "\($0) (delivered on \($1.interface): nflog)" }.joined(separator: " + ")
            } ?? "\(record.to)/\(captures.first?.interface ?? "?")"
        let tolerance =
            Self.witnessTolerance(intervalNanoseconds: record.intervalNanoseconds) + witnessEdgeAllowance
        let base = ProbeWitnessRecord(
            tool: "tcpdump", file: captures.map(\.path).joined(separator: ", "), interface: interface, matching: 0,
            uniqueSequences: 0, largestGapNanoseconds: nil, droppedByKernel: dropped, toleranceNanoseconds: tolerance,
            receivedAgrees: false, outageAgrees: false, detail: "")
        let witness: PcapWitness
        do {
            witness = PcapWitness.merged(
                try captures.map {
                    try PcapWitness.count(
                        pcapFile: $0.path, streamID: record.streamID, direction: direction, port: record.port)
                })
        } catch {
            var failed = base
            failed.detail = "capture unreadable: \(error)"
            return failed
        }
        let judged = Self.judge(
            witness, base: base, probeReceived: Int(report.receiver.received),
            probeOutage: Self.longestLossPeriod(report))
        return Self.judgeWindows(
            witness, base: judged, capture: probeCapture, report: report, faults: faults,
            senderLatenessBound: senderLatenessBound)
    }

    /// Attributes the capture's gaps to fault windows by the send times its packets carry (the same
    /// rule as the probe's loss periods, `ProbeAnalysis`) and compares each window's loss and loss
    /// periods with the probe's: a loss period filed under the wrong step disagrees.
    static func judgeWindows(
        _ witness: PcapWitness, base: ProbeWitnessRecord, capture: ProbeCapture, report: ProbeReport,
        faults: [ProbeFault], senderLatenessBound: UInt64 = ProbeAnalysis.maximumSenderLatenessNanoseconds
    ) -> ProbeWitnessRecord {
        var result = base
        guard !report.windows.isEmpty, witness.sendTimes.count == witness.sequences.count else { return result }
        var witnessCapture = capture
        witnessCapture.arrivals = witness.arrivals
        // The same rule and edge tolerance as the probe's own figures.
        let seen = ProbeAnalysis.analyze(witnessCapture, faults: faults, senderLatenessBound: senderLatenessBound)
        var windows: [ProbeWitnessWindow] = []
        for window in report.windows {
            guard let step = window.stepIndex else { continue }
            let other = seen.window(step: step)
            windows.append(
                ProbeWitnessWindow(
                    stepIndex: step, lost: other?.lost ?? 0, lossPeriodCount: other?.lossPeriodCount ?? 0,
                    probeLost: window.lost, probeLossPeriodCount: window.lossPeriodCount))
        }
        result.windowLoss = windows
        let differing = windows.filter { $0.lost != $0.probeLost || $0.lossPeriodCount != $0.probeLossPeriodCount }
        result.windowsAgree = differing.isEmpty
        if differing.isEmpty {
            result.detail += "; loss in the same windows (\(windows.count))"
        } else {
            result.detail +=
                "; loss per window differs: "
                + differing.map {
                    "step \($0.stepIndex + 1): capture \($0.lost) lost in \($0.lossPeriodCount), probe \($0.probeLost) in "
                        + "\($0.probeLossPeriodCount)"
                }.joined(separator: ", ")
        }
        return result
    }

    /// The longest single loss period of the run bounded on both sides, from the send time of the
    /// delivered packet before it to that of the one after it: the quantity the capture's largest
    /// gap measures. A loss period with no delivered packet after it (an outage that had not
    /// recovered when the probe stopped) leaves no gap between captured packets, so it has nothing
    /// to be compared with: 0 when no period is bounded (the counts are still compared exactly, and
    /// the per-window loss is compared by `judgeWindows`).
    static func longestLossPeriod(_ report: ProbeReport) -> Int64 {
        let periods = report.run.lossPeriods.compactMap { period -> Int64? in
            guard let before = period.deliveredBeforeSentNanoseconds, let after = period.deliveredAfterSentNanoseconds
            else { return nil }
            return Int64(bitPattern: after &- before)
        }
        return periods.max() ?? 0
    }

    /// The witness's largest gap is between receive times; the probe's outage between send times
    /// carried in the packets. They differ by at most one interval (resolution) plus the variation of
    /// the one-way delay at the two edges: 1 ms covers what was measured on veth/bridge paths.
    static func witnessTolerance(intervalNanoseconds: Int64) -> Int64 { intervalNanoseconds + 1_000_000 }

    /// Compares a capture with the probe: datagram counts exactly; the largest capture gap with the
    /// longest outage (timestamp method) within `base.toleranceNanoseconds` — only when the probe saw
    /// an outage (without one, the gap is ordinary spacing and is not compared).
    static func judge(_ witness: PcapWitness, base: ProbeWitnessRecord, probeReceived: Int, probeOutage: Int64)
        -> ProbeWitnessRecord
    {
        var result = base
        result.matching = witness.matching
        result.uniqueSequences = witness.uniqueSequences
        let gap = witness.largestGap.map { Int64($0.nanoseconds) }
        result.largestGapNanoseconds = gap
        result.receivedAgrees = witness.matching == probeReceived
        if probeOutage > 0 {
            result.outageAgrees = gap.map { abs($0 - probeOutage) <= base.toleranceNanoseconds } ?? false
        } else {
            result.outageAgrees = true
        }
        var parts: [String] = []
        parts.append(
            "captured \(witness.matching), probe received \(probeReceived)"
                + (result.receivedAgrees ? "" : " (differ)"))
        if probeOutage > 0 {
            let gapText = gap.map(millisecondsText) ?? "none"
            parts.append(
                "largest gap \(gapText), probe outage \(millisecondsText(probeOutage))"
                    + (result.outageAgrees
                        ? "" : " (differ by more than \(millisecondsText(base.toleranceNanoseconds)))"))
        }
        if let dropped = base.droppedByKernel, dropped > 0 { parts.append("\(dropped) dropped by kernel") }
        result.detail = parts.joined(separator: "; ")
        return result
    }

    /// `200.948 ms` (three decimals).
    static func millisecondsText(_ nanoseconds: Int64) -> String {
        "\(Double((Double(nanoseconds) / 1e3).rounded()) / 1e3) ms"
    }

    /// Report data of one direction.
    static func record(_ report: ProbeReport, direction: Resolved, capture: ProbeCapture) -> ProbeRecord {
        func time(_ figure: TimeFigure) -> ProbeTimeRecord {
            ProbeTimeRecord(
                nanoseconds: figure.nanoseconds, method: figure.method,
                resolutionNanoseconds: Int64((figure.resolutionMilliseconds * 1e6).rounded()),
                lowerBound: figure.lowerBound)
        }
        let windows = report.windows.compactMap { figures -> ProbeWindowRecord? in
            guard let stepIndex = figures.stepIndex else { return nil }
            return ProbeWindowRecord(
                stepIndex: stepIndex, kind: figures.event ?? "change", sent: figures.sent, received: figures.received,
                lost: figures.lost, duplicated: figures.duplicated, reordered: figures.reordered,
                sendErrors: figures.sendErrors, lossPeriodCount: figures.lossPeriodCount,
                timestampTime: time(figures.failoverTime), lossTime: time(figures.lossTime),
                recovered: figures.recovered, additiveBackupDelay: figures.additiveBackupDelay.map(time),
                outageStart: figures.lossPeriods.first.map { period in
                    MonotonicInstant(
                        nanoseconds: period.deliveredBeforeSentNanoseconds ?? period.estimatedStartNanoseconds)
                }, measured: figures.measured, unmeasuredReason: figures.unmeasuredReason,
                senderMaxLatenessNanoseconds: Int64(clamping: figures.senderMaxLatenessNanoseconds),
                lostPerFlow: figures.lostPerFlow)
        }
        let configuration = direction.configuration
        return ProbeRecord(
            probe: report.probe, direction: "\(report.direction)", from: direction.from, to: direction.to,
            sourceAddress: configuration.sourceAddress.map(\.description),
            destinationAddress: configuration.destinationAddress.description, port: configuration.port,
            streamID: report.streamID, rate: report.rate,
            intervalNanoseconds: Int64(report.intervalNanoseconds.rounded()),
            sent: report.run.sent, received: report.run.received, lost: report.run.lost,
            duplicated: report.run.duplicated, reordered: report.run.reordered, sendErrors: report.run.sendErrors,
            receiverDrops: Int(capture.receiver.socketDrops), lossPeriodCount: report.run.lossPeriodCount,
            lossPeriodMinLength: report.run.lossPeriodMinLength, lossPeriodMaxLength: report.run.lossPeriodMaxLength,
            lostBeforeFirstFault: report.beforeFirstFault.lost, windows: windows,
            measurementError: ProbeAnalysis.measurementProblem([report]), timestamping: report.timestamping,
            senderMaxLatenessNanoseconds: Int64(clamping: capture.sender.maxLatenessNanoseconds),
            senderLatePackets: Int(clamping: capture.sender.latePackets),
            senderLatenessBoundNanoseconds: Int64(ProbeAnalysis.maximumSenderLatenessNanoseconds))
    }
}
