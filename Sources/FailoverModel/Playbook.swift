/// One scenario: a topology and the ordered steps run against it.
public struct Playbook: Sendable, Hashable, Codable {
    public var name: String
    public var description: String?
    /// Free text: which seed or behaviour this checks.
    public var seed: String?
    public var references: [String]
    public var topology: Topology
    /// Traffic probes declared at top level (started at build unless `start: manual`).
    public var probes: [ProbeSpec]
    /// Packet captures declared at top level (`captures:`; `captures: auto` is expanded to one
    /// per switch port by the decoder), started after build, stopped at teardown.
    public var captures: [CaptureSpec] = []
    public var steps: [Step]
    /// The file it was loaded from, as given on the command line.
    public var file: String
    /// For an instance of a `matrix:` playbook: its parameter values, in the matrix's order
    /// (empty otherwise). `name` ends with them, ` [mode=balance-xor]`.
    public var parameters: [MatrixParameter]

    public init(
        name: String, description: String? = nil, seed: String? = nil, references: [String] = [],
        topology: Topology, probes: [ProbeSpec] = [], steps: [Step], file: String,
        parameters: [MatrixParameter] = []
    ) {
        self.parameters = parameters
        self.name = name
        self.description = description
        self.seed = seed
        self.references = references
        self.topology = topology
        self.probes = probes
        self.steps = steps
        self.file = file
    }

    /// True when any host declares a bond (the kernel needs the bonding driver).
    public var needsBonding: Bool { topology.hosts.contains { !$0.bonds.isEmpty } }
}

/// One parameter value of a `matrix:` playbook instance, `mode=balance-xor`.
public struct MatrixParameter: Sendable, Hashable, Codable, CustomStringConvertible {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    public var description: String { "\(name)=\(value)" }
}

extension [MatrixParameter] {
    /// `mode=balance-xor, hash=layer2`: how reports and diagnostics name an instance.
    public var instanceLabel: String { map(\.description).joined(separator: ", ") }
}

/// One step of a playbook, with where it was written.
public struct Step: Sendable, Hashable, Codable {
    public var action: StepAction
    public var location: SourceLocation?
    /// Parts: `target`, what the step acts on (the value under its key).
    public var marks: SourceMarks

    public init(_ action: StepAction, location: SourceLocation? = nil, marks: SourceMarks = SourceMarks()) {
        self.action = action
        self.location = location
        self.marks = marks
    }
}

public enum StepAction: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Carrier fault: the far end of the cable at this host interface goes down.
    case pull(InterfaceRef)
    /// Carrier restored: the far end comes back up.
    case plug(InterfaceRef)
    /// Admin state of an interface (slave, bond, any).
    case down(InterfaceRef)
    case up(InterfaceRef)
    /// A whole switch stops forwarding; carrier stays up on every port except its LAG ports,
    /// which go down with it (their hosts lose carrier, its LACPDUs stop).
    case switchDown(String)
    case switchUp(String)
    /// All frames on a cable dropped, carrier kept (grey failure).
    case blackhole(InterfaceRef)
    case restore(InterfaceRef)
    /// Some frames of a cable to a switch dropped on the switch's port, both directions, carrier
    /// kept: LACPDUs only (`lacpdu`: data still flows, the LACP partner times out), everything but
    /// LACPDUs (`data`), or all (`all`). `passFrames` removes the filter.
    case dropFrames(InterfaceRef, FrameFilter)
    case passFrames(InterfaceRef)
    /// Repeated carrier loss: the far end of the cable goes down for `down`, comes back up, and
    /// after `up` goes down again, `times` times in all; the cable ends plugged.
    case flap(InterfaceRef, times: Int, down: Duration, up: Duration)
    /// A bond option at run time (`active_slave`, `primary`, `primary_reselect`, …).
    /// `expectError` (an errno name such as `EPERM`): the kernel is expected to refuse it with
    /// that errno; the step is then checked like an assertion instead of erroring the run.
    case set(bond: InterfaceRef, option: String, value: String, expectError: String? = nil)
    /// A signal to a CARP peer (the ucarp of `node` in `group`): kill, stop, freeze, thaw, demote.
    case peer(PeerFault, group: String, node: String)
    /// CARP adverts (IP protocol 112) to and from `node` dropped in its namespace (nftables), the
    /// carrier and all other traffic kept: a partition of the group, which makes a backup that
    /// hears no master take over (two masters: split brain). `heal` removes the filter.
    case partition(group: String, node: String)
    case heal(group: String, node: String)
    /// A fixed wait: the only one; used for "nothing changes" checks.
    case hold(Duration)
    /// Starts / stops a probe declared with `start: manual`.
    case startProbe(String)
    case stopProbe(String)
    case expect([Expectation])

    /// The step as a playbook would spell it, for reports and logs.
    public var description: String {
        switch self {
        case .pull(let ref): "pull \(ref)"
        case .plug(let ref): "plug \(ref)"
        case .down(let ref): "down \(ref)"
        case .up(let ref): "up \(ref)"
        case .switchDown(let name): "switch_down \(name)"
        case .switchUp(let name): "switch_up \(name)"
        case .blackhole(let ref): "blackhole \(ref)"
        case .restore(let ref): "restore \(ref)"
        case .dropFrames(let ref, let frames): "drop_frames \(ref) (\(frames.rawValue))"
        case .passFrames(let ref): "pass_frames \(ref)"
        case .flap(let ref, let times, let down, let up):
            "flap \(ref) \(times) times (down \(down.playbookText), up \(up.playbookText))"
        case .set(let bond, let option, let value, let expectError):
            "set \(bond) \(option)=\(value)" + (expectError.map { ", expecting \($0)" } ?? "")
        case .peer(let fault, let group, let node): "\(fault.rawValue) \(group)/\(node)"
        case .partition(let group, let node): "partition \(group)/\(node)"
        case .heal(let group, let node): "heal \(group)/\(node)"
        case .hold(let duration): "hold \(duration.playbookText)"
        case .startProbe(let name): "start_probe \(name)"
        case .stopProbe(let name): "stop_probe \(name)"
        case .expect(let expectations): "expect " + expectations.map(\.description).joined(separator: "; ")
        }
    }

    /// What the step does to the network when it is a fault step (nil for waits, probe control
    /// and assertions). Every fault step opens a new fault window.
    public var faultPolarity: FaultPolarity? {
        switch self {
        case .pull, .down, .switchDown, .blackhole, .flap, .dropFrames: .failure
        case .plug, .up, .switchUp, .restore, .passFrames: .repair
        case .set: .reconfiguration
        case .peer(let fault, _, _): fault == .thaw || fault == .start ? .repair : .failure
        case .partition: .failure
        case .heal: .repair
        case .hold, .expect, .startProbe, .stopProbe: nil
        }
    }

    /// True for steps that inject a fault or a repair (they open a new fault window).
    public var isFault: Bool { faultPolarity != nil }
}

/// Which frames `drop_frames` drops on a switch port: all of them (a grey failure with carrier
/// kept), LACPDUs only (slow protocols, ethertype 0x8809), or everything but LACPDUs.
public enum FrameFilter: String, Sendable, Hashable, Codable, CaseIterable {
    case all, lacpdu, data
}

/// What a fault step does to the path, a property of the fault itself: the probe windows it
/// opens are named after it (a failure opens a *failover*, a repair a *reversion*).
public enum FaultPolarity: String, Sendable, Hashable, Codable, CaseIterable {
    /// The path breaks: `pull`, `down`, `switch_down`, `blackhole`.
    case failure
    /// The path is mended: `plug`, `up`, `switch_up`, `restore`.
    case repair
    /// The configuration changes, neither a failure nor a repair: `set`.
    case reconfiguration
}

/// How long an assertion may take to come true, or how long it must (not) hold. Every time is
/// measured from the start of the `expect` step (its members are evaluated concurrently).
public enum Wait: Sendable, Hashable, Codable {
    /// Checked once, at the start of the step.
    case immediate
    /// Must come true at the latest this long after the step started (`within: 500ms`), exactly
    /// as written.
    case within(Duration)
    /// `within: auto`: deadline derived from the bond's timers (plus the documented allowance
    /// when timing is unreliable, e.g. a TCG virtual machine).
    case derived
    /// Must hold continuously from the start of the step until this long after it (`throughout`).
    case throughout(Duration)
    /// Must not hold at any instant from the start of the step until this long after it (`never`).
    case never(Duration)
}

/// One assertion, checked at once or waited for.
public struct Expectation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var assertion: Assertion
    public var wait: Wait
    /// `not_before` (with `within`): the condition must not hold before this long after the
    /// start of the step.
    public var notBefore: Duration?
    public var location: SourceLocation?
    /// Parts: `key`, the assertion's key; and each of its sub-keys' values by the sub-key
    /// (`interface`, `bond`, `probe`, `is`, `same_as`, …), for the checks of references.
    public var marks: SourceMarks

    public init(
        _ assertion: Assertion, wait: Wait = .immediate, notBefore: Duration? = nil, location: SourceLocation? = nil,
        marks: SourceMarks = SourceMarks()
    ) {
        self.assertion = assertion
        self.wait = wait
        self.notBefore = notBefore
        self.location = location
        self.marks = marks
    }

    public var description: String {
        let lower = notBefore.map { " not before \($0.playbookText)" } ?? ""
        return switch wait {
        case .immediate: assertion.description
        case .within(let duration): "\(assertion)\(lower) within \(duration.playbookText)"
        case .derived: "\(assertion)\(lower) within auto"
        case .throughout(let duration): "\(assertion) throughout \(duration.playbookText)"
        case .never(let duration): "\(assertion) never in \(duration.playbookText)"
        }
    }
}

public enum MIIStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case up
    case down
    case goingBack = "going_back"
    case goingDown = "going_down"
}

public enum CountComparison: Sendable, Hashable, Codable, CustomStringConvertible {
    case equals(Int)
    case atLeast(Int)
    case atMost(Int)

    public func holds(for value: Int) -> Bool {
        switch self {
        case .equals(let n): value == n
        case .atLeast(let n): value >= n
        case .atMost(let n): value <= n
        }
    }

    public var description: String {
        switch self {
        case .equals(let n): "== \(n)"
        case .atLeast(let n): ">= \(n)"
        case .atMost(let n): "<= \(n)"
        }
    }
}

public enum MACExpectation: Sendable, Hashable, Codable, CustomStringConvertible {
    case literal(MACAddress)
    /// The current MAC of another interface.
    case sameAs(InterfaceRef)
    /// The permanent (burned-in) MAC of a bond slave.
    case permanentOf(InterfaceRef)

    public var description: String {
        switch self {
        case .literal(let mac): "\(mac)"
        case .sameAs(let ref): "same as \(ref)"
        case .permanentOf(let ref): "permanent MAC of \(ref)"
        }
    }
}

/// The families of assertions: each owns, for its kinds, decoding, evaluation and plan text
/// (one folder each in FailoverFamilies).
public enum AssertionFamilyID: String, Sendable, Hashable, Codable, CaseIterable {
    /// Interface and bond state the kernel reports (active_slave, bond_mode, mii_status,
    /// link_failures, carrier, mac).
    case interfaceState = "interface_state"
    /// Bond option values (the `option` assertion; the `set` step changes them).
    case bondOption = "bond_option"
    /// Figures of a traffic probe (loss, no_loss, outage, reordered).
    case probeTraffic = "probe_traffic"
    /// A host's neighbour table (ARP / NDP cache): the `neighbour` assertion.
    case neighbour
    /// CARP peers: which nodes hold a group's VIP, which is master (vip_owner, master).
    case carpPeer = "carp_peer"
    /// Frames seen by a playbook's capture (`frames`, `first_frame`).
    case capture
    /// Where a bond puts the flows of a probe (`flow_placement`, `distribution`), on the captures
    /// of its members.
    case flow
    /// LACP of an 802.3ad bond: its active aggregator and its ports' state bits
    /// (`lacp_aggregator`, `lacp_state`).
    case lacp
}

/// The state of a neighbour-table entry (NUD_* of <linux/neighbour.h>), as `ip neigh` spells it.
public enum NeighbourState: String, Sendable, Hashable, Codable, CaseIterable {
    case incomplete, reachable, stale, delay, probe, failed, noarp, permanent, none

    /// States in which the entry holds a usable link-layer address.
    public var isValid: Bool { ![.incomplete, .failed, .none].contains(self) }
}

/// What a `neighbour` assertion expects of an entry: its MAC (if given) and its state (one of
/// `states`; empty: any valid state, i.e. not incomplete, failed or none).
public struct NeighbourExpectation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var mac: MACExpectation?
    public var states: [NeighbourState]

    public init(mac: MACExpectation?, states: [NeighbourState]) {
        self.mac = mac
        self.states = states
    }

    public var description: String {
        let state = states.isEmpty ? "valid" : states.map(\.rawValue).joined(separator: "|")
        return mac.map { "\($0), \(state)" } ?? state
    }
}

/// Which frames a flow assertion (`flow_placement`, `distribution`) looks at; both end at the check.
public enum FlowWindow: Sendable, Hashable, Codable {
    /// From this long after the last fault (or after the captures' start, without a fault).
    case after(Duration)
    /// The last stretch of this length before the check (a steady state after a transition of
    /// unknown length, such as a monitor's detection).
    case last(Duration)
}

public enum Assertion: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The bond's active slave is this one (nil: none).
    case activeSlave(bond: InterfaceRef, expected: String?)
    /// The bond runs in this mode (netlink and the `Bonding Mode:` line of /proc/net/bonding).
    case bondMode(InterfaceRef, expected: BondMode)
    /// MII status of a bond slave (or of the bond).
    case miiStatus(InterfaceRef, expected: MIIStatus)
    /// The slave's link failure count.
    case linkFailures(InterfaceRef, CountComparison)
    /// Carrier (lower-layer up) of any interface.
    case carrier(InterfaceRef, expected: Bool)
    /// Administrative state (IFF_UP, what `ip link set up/down` sets) of any interface.
    case adminState(InterfaceRef, expected: Bool)
    /// The interface's current MAC.
    case mac(InterfaceRef, expected: MACExpectation)
    /// Packets lost by a probe (per direction), in a scope.
    case loss(probe: String, ProbeScope, CountComparison)
    /// Outage (failover time) of a probe in a scope, by a method, at most this long.
    case outage(probe: String, ProbeScope, OutageMethod, atMost: Duration)
    /// Packets received out of order.
    case reordered(probe: String, ProbeScope, CountComparison)
    /// A bond option's current value as the kernel reports it (netlink IFLA_BOND_*), in the
    /// spelling `set` uses (`200`, `active`, `eth1`, `none`).
    case option(bond: InterfaceRef, name: String, expected: String)
    /// A host's neighbour-table entry for `ip` (`ip neigh show to IP` in its namespace).
    case neighbour(host: String, ip: IPAddress, expected: NeighbourExpectation)
    /// A switch's bridge has learned `mac` on the port facing `port` (a host interface cabled to
    /// the switch): `bridge fdb show` in the switch's namespace.
    case fdb(switch: String, mac: MACExpectation, port: InterfaceRef)
    /// The nodes holding a CARP group's VIP (netlink address events), exactly this set.
    case vipOwner(group: String, expected: [String])
    /// The CARP master of a group (nil: none): the one live, unfrozen peer whose last state line
    /// is MASTER.
    case carpMaster(group: String, expected: String?)
    /// The nodes holding a CARP group's VIP while their ucarp is dead (killed, exited) or frozen:
    /// orphaned VIPs, exactly this set (empty: none).
    case orphanVIP(group: String, expected: [String])
    /// At no instant of the run so far did two nodes hold the group's VIP (split brain), from the
    /// timestamped ownership log.
    /// `scope`: the whole run so far (`run`), or from the last fault step's instant on
    /// (`lastFault`: an overlap still open at that instant counts).
    case singleMaster(group: String, scope: ProbeScope = .run)
    /// The opposite, for a playbook that provokes a partition: at some instant of the run so far
    /// two nodes held the group's VIP (the split brain was produced, and seen).
    case splitBrain(group: String, scope: ProbeScope = .run)
    /// The number of frames matching a pattern seen by a capture (its name, or the label of the
    /// port it captures, `sw1:server-eth0`) from the last fault for `window` (nil: until the
    /// start of the step).
    /// `spacing`: the expected gaps between consecutive matching frames (with `is: N`, N−1 gaps).
    case frames(capture: String, FrameMatch, CountComparison, window: Duration?, spacing: FrameSpacing? = nil)
    /// A frame matching a pattern was seen by a capture at most `within` after the last fault.
    case firstFrame(capture: String, FrameMatch, within: Duration)
    /// Every flow (UDP source port) of a probe left the bond on the member the kernel's transmit
    /// hash (`BondTransmitHash`, the bond's `xmit_hash_policy`) picks among `usable` (nil: the
    /// slaves whose MII status is up, in enslave order), judged on the members' captures from
    /// `window` (nil: from the last fault, or the captures' start, to the check).
    case flowPlacement(probe: String, bond: InterfaceRef, usable: [String]?, window: FlowWindow?)
    /// The share of a probe's frames (over all the bond's members' captures) that `member`
    /// carried, in percent, is within `percent`; same window as `flowPlacement`.
    case distribution(
        probe: String, bond: InterfaceRef, member: String, percent: ClosedRange<Double>, window: FlowWindow?)
    /// In a probe scope, every flow whose frames left on `member` (the members' captures) lost
    /// packets and every other flow lost none: a member that fails while the bond keeps hashing
    /// flows onto it (loss per flow, the probe's figures).
    case flowLoss(probe: String, bond: InterfaceRef, member: String, scope: ProbeScope)
    /// The active aggregator of an 802.3ad bond (netlink IFLA_BOND_AD_INFO and the slaves'
    /// aggregator ids, cross-checked with /proc/net/bonding).
    case lacpAggregator(bond: InterfaceRef, expected: LacpAggregatorExpectation)
    /// The LACP state of one port (slave) of an 802.3ad bond.
    case lacpState(InterfaceRef, expected: LacpPortExpectation)

    /// The key that spells it in a playbook.
    public var key: String {
        switch self {
        case .activeSlave: "active_slave"
        case .bondMode: "bond_mode"
        case .miiStatus: "mii_status"
        case .linkFailures: "link_failures"
        case .carrier: "carrier"
        case .adminState: "admin_state"
        case .mac: "mac"
        case .loss: "loss"
        case .outage: "outage"
        case .reordered: "reordered"
        case .option: "option"
        case .neighbour: "neighbour"
        case .fdb: "fdb"
        case .vipOwner: "vip_owner"
        case .carpMaster: "master"
        case .orphanVIP: "orphan_vip"
        case .singleMaster: "single_master"
        case .splitBrain: "split_brain"
        case .frames: "frames"
        case .firstFrame: "first_frame"
        case .flowPlacement: "flow_placement"
        case .distribution: "distribution"
        case .flowLoss: "flow_loss"
        case .lacpAggregator: "lacp_aggregator"
        case .lacpState: "lacp_state"
        }
    }

    /// The family that evaluates it and shows it in a plan (FailoverFamilies).
    public var family: AssertionFamilyID {
        switch self {
        case .activeSlave, .bondMode, .miiStatus, .linkFailures, .carrier, .adminState, .mac: .interfaceState
        case .option: .bondOption
        case .loss, .outage, .reordered: .probeTraffic
        case .neighbour, .fdb: .neighbour
        case .vipOwner, .carpMaster, .orphanVIP, .singleMaster, .splitBrain: .carpPeer
        case .frames, .firstFrame: .capture
        case .flowPlacement, .distribution, .flowLoss: .flow
        case .lacpAggregator, .lacpState: .lacp
        }
    }

    /// What this assertion observes: `host/if` or `probe NAME (scope)`.
    public var subject: String {
        switch self {
        case .activeSlave(let ref, _), .bondMode(let ref, _), .miiStatus(let ref, _), .linkFailures(let ref, _),
            .carrier(let ref, _), .adminState(let ref, _), .mac(let ref, _), .option(let ref, _, _),
            .lacpAggregator(let ref, _), .lacpState(let ref, _):
            ref.description
        case .loss(let probe, let scope, _), .outage(let probe, let scope, _, _), .reordered(let probe, let scope, _):
            "probe \(probe) (\(scope))"
        case .neighbour(let host, let ip, _): "\(host) neighbour \(ip)"
        case .fdb(let name, let mac, _): "\(name) forwarding entry for \(mac)"
        case .vipOwner(let group, _), .carpMaster(let group, _), .orphanVIP(let group, _), .singleMaster(let group, _),
            .splitBrain(let group, _):
            "CARP group \(group)"
        case .frames(let capture, let match, _, _, _), .firstFrame(let capture, let match, _):
            "\(match) frames on capture \(capture)"
        case .flowPlacement(let probe, let bond, _, _): "flows of probe \(probe) on \(bond)"
        case .distribution(let probe, let bond, let member, _, _): "share of probe \(probe) on \(bond) member \(member)"
        case .flowLoss(let probe, let bond, let member, let scope):
            "loss per flow of probe \(probe) (\(scope)) on \(bond) member \(member)"
        }
    }

    /// The interface observed, for interface assertions.
    public var interface: InterfaceRef? {
        switch self {
        case .activeSlave(let ref, _), .bondMode(let ref, _), .miiStatus(let ref, _), .linkFailures(let ref, _),
            .carrier(let ref, _), .adminState(let ref, _), .mac(let ref, _), .option(let ref, _, _),
            .lacpAggregator(let ref, _), .lacpState(let ref, _):
            ref
        case .loss, .outage, .reordered, .neighbour, .fdb, .vipOwner, .carpMaster, .orphanVIP, .singleMaster,
            .splitBrain,
            .frames, .firstFrame, .flowPlacement, .distribution, .flowLoss:
            nil
        }
    }

    /// Expected value as text (reports show expected vs actual).
    public var expectedText: String {
        switch self {
        case .activeSlave(_, let expected): expected ?? "none"
        case .bondMode(_, let expected): expected.rawValue
        case .miiStatus(_, let expected): expected.rawValue
        case .linkFailures(_, let comparison): comparison.description
        case .carrier(_, let expected), .adminState(_, let expected): expected ? "up" : "down"
        case .mac(_, let expected): expected.description
        case .loss(_, _, let comparison), .reordered(_, _, let comparison): comparison.description
        case .outage(_, _, let method, let atMost): "<= \(atMost.playbookText) (\(method.rawValue))"
        case .option(_, _, let expected): expected.isEmpty ? "\"\"" : expected
        case .neighbour(_, _, let expected): expected.description
        case .fdb(_, _, let port): "learned on the port to \(port)"
        case .vipOwner(_, let expected), .orphanVIP(_, let expected):
            expected.isEmpty ? "none" : expected.joined(separator: ", ")
        case .carpMaster(_, let expected): expected ?? "none"
        case .singleMaster(_, let scope):
            "at most one VIP holder at every instant of the " + (scope == .run ? "run" : "window since the last fault")
        case .splitBrain(_, let scope):
            "two VIP holders at some instant of the " + (scope == .run ? "run" : "window since the last fault")
        case .frames(_, _, let comparison, let window, let spacing):
            "\(comparison) " + (window == nil ? "from the last fault to this step" : "after the last fault")
                + (spacing.map { ", \($0)" } ?? "")
        case .firstFrame: "one after the last fault"
        case .flowPlacement(_, _, let usable, _):
            "each on the member its transmit hash picks"
                + (usable.map { " among [\($0.joined(separator: ", "))]" } ?? "")
        case .distribution(_, _, _, let percent, _):
            "between \(Self.percentText(percent.lowerBound))% and \(Self.percentText(percent.upperBound))%"
        case .flowLoss(_, _, let member, _): "loss on every flow that left on \(member), none on the others"
        case .lacpAggregator(_, let expected): expected.description
        case .lacpState(_, let expected): expected.description
        }
    }

    /// `30` or `12.5`.
    static func percentText(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    public var description: String {
        if case .option(let bond, let name, _) = self { return "option \(name) of \(bond) is \(expectedText)" }
        return "\(key) of \(subject) is \(expectedText)"
    }
}
