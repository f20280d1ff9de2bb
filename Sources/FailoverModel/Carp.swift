/// A CARP password (ucarp `--pass`, at most 20 characters). Its description, debug description,
/// reflection and `Codable` output are `***`: it never reaches a log, a plan or a report. The
/// text itself is read only through `revealedForPassfile`, by the backend writing ucarp's
/// password file.
public struct CarpPassword: Sendable, Hashable, Codable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let secret: String

    public init(_ secret: String) { self.secret = secret }

    /// What every rendering shows instead of the password.
    public static let masked = "***"

    public var description: String { Self.masked }
    public var debugDescription: String { Self.masked }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// The password, for ucarp's `--passfile` only.
    public var revealedForPassfile: String { secret }
    /// Its length in characters (for the checker's limit).
    public var count: Int { secret.count }
    public var isEmpty: Bool { secret.isEmpty }

    /// Encodes `***`, never the password.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Self.masked)
    }

    public init(from decoder: any Decoder) throws {
        secret = try decoder.singleValueContainer().decode(String.self)
    }
}

/// A CARP group (ucarp peers sharing a virtual address): `vip` with its prefix, `vhid` 1–255,
/// `advbase` seconds, the password, `preempt`, and its members. ucarp is IPv4-only.
public struct CarpGroup: Sendable, Hashable, Codable {
    public var name: String
    public var vip: InterfaceAddress
    public var vhid: Int
    /// Advertisement base interval, whole seconds (ucarp `--advbase`).
    public var advbase: Int
    public var password: CarpPassword
    public var preempt: Bool
    public var members: [CarpMember]
    public var location: SourceLocation?
    /// Where the parts were written: `name`, `vip`, `vhid`, `advbase`, `password`, `members`.
    /// Not part of equality.
    public var marks: SourceMarks

    public init(
        name: String, vip: InterfaceAddress, vhid: Int, advbase: Int = 1, password: CarpPassword,
        preempt: Bool = false, members: [CarpMember], location: SourceLocation? = nil,
        marks: SourceMarks = SourceMarks()
    ) {
        self.name = name
        self.vip = vip
        self.vhid = vhid
        self.advbase = advbase
        self.password = password
        self.preempt = preempt
        self.members = members
        self.location = location
        self.marks = marks
    }

    /// The member on `host`, if any.
    public func member(on host: String) -> CarpMember? { members.first { $0.node == host } }
}

/// One ucarp peer of a group: the host, the interface it runs on, its `advskew` (0–255).
public struct CarpMember: Sendable, Hashable, Codable {
    public var node: String
    public var interface: String
    public var advskew: Int
    /// Where the parts were written: `node`, `interface`, `advskew`. Not part of equality.
    public var marks: SourceMarks

    public init(node: String, interface: String, advskew: Int = 0, marks: SourceMarks = SourceMarks()) {
        self.node = node
        self.interface = interface
        self.advskew = advskew
        self.marks = marks
    }

    public var ref: InterfaceRef { InterfaceRef(host: node, interface: interface) }
}

extension CarpGroup {
    /// ucarp's master-down interval of a backup with `advskew`, in nanoseconds:
    /// advbase × deadratio (3) + advskew/256 s (ucarp `src/carp.c`: the skew is not multiplied).
    public static func masterDownNanoseconds(advbase: Int, advskew: Int, deadRatio: Int = 3) -> Int64 {
        Int64(advbase) * Int64(deadRatio) * 1_000_000_000 + Int64(advskew) * 1_000_000_000 / 256
    }

    /// How long a ucarp backup waits in poll(2) when no CARP packet arrives, in nanoseconds:
    /// advbase s + advskew × 1000 / 256 ms, in whole milliseconds (`src/carp.c`, main loop: in BACKUP
    /// no advert is scheduled, so the poll timeout is the backup's own advert interval).
    public static func backupPollNanoseconds(advbase: Int, advskew: Int) -> Int64 {
        (Int64(advbase) * 1000 + Int64(advskew) * 1000 / 256) * 1_000_000
    }

    /// When a ucarp backup with `advskew` really becomes master after the last CARP packet it
    /// received, in nanoseconds: ucarp checks its master-down timer only when poll(2) returns, so
    /// with no other CARP traffic on the segment the takeover comes at the first poll timeout after
    /// the timer ran out: ⌈masterDown / poll⌉ × poll. With advbase 1 and advskew 100 that is
    /// 3 × 1.390 s = 4.170 s, not the 3.39 s of the timer alone; with advskew 0 it is 3 s.
    public static func takeoverNanoseconds(advbase: Int, advskew: Int) -> Int64 {
        let masterDown = masterDownNanoseconds(advbase: advbase, advskew: advskew)
        let poll = backupPollNanoseconds(advbase: advbase, advskew: advskew)
        return (masterDown + poll - 1) / poll * poll
    }
}

/// A fault on a CARP peer: a signal to its ucarp (ucarp 1.5.2 `src/ucarp.c`, `src/carp.c`).
public enum PeerFault: String, Sendable, Hashable, Codable, CaseIterable {
    /// SIGKILL: no down script; a master's VIP stays configured (an orphan).
    case kill = "kill_peer"
    /// SIGTERM with `--shutdown`: a master runs its down script (removes the VIP), then ucarp exits.
    case stop = "stop_peer"
    /// SIGSTOP: no adverts, no state change, the VIP stays.
    case freeze
    /// SIGCONT: a frozen peer runs again.
    case thaw
    /// SIGUSR2: a master goes BACKUP (down script), waits 3 s, then listens normally.
    case demote
    /// A stopped or killed peer started again (a new ucarp, the same arguments): it starts in
    /// BACKUP; with `preempt` it takes the VIP back from a master with a longer advert interval.
    case start = "start_peer"

    /// The signal's name without `SIG`.
    public var signalName: String {
        switch self {
        case .kill: "KILL"
        case .stop: "TERM"
        case .freeze: "STOP"
        case .thaw: "CONT"
        case .demote: "USR2"
        case .start: "none (started again)"
        }
    }
}
