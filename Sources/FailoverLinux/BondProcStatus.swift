import FailoverModel

/// `/proc/net/bonding/<bond>` parsed (bonding.md §7 strings).
public struct BondProcStatus: Sendable, Hashable {
    public struct Slave: Sendable, Hashable {
        public var name: String
        public var miiStatus: MIIStatus?
        public var linkFailureCount: Int?
        public var permanentMAC: String?
        public var speed: String?
        public var duplex: String?
        /// 802.3ad: `Aggregator ID:` and the `port state:` of the `details actor lacp pdu:` and
        /// `details partner lacp pdu:` blocks (bond_procfs.c).
        public var aggregatorID: Int?
        public var actorPortState: Int?
        public var partnerPortState: Int?
    }

    /// 802.3ad `Active Aggregator Info:` (nil fields: not shown).
    public var aggregatorID: Int?
    public var numberOfPorts: Int?
    public var actorKey: Int?
    public var partnerKey: Int?
    public var partnerMAC: String?

    /// `fault-tolerance (active-backup)` …, without a `(fail_over_mac …)` suffix.
    public var modeDescription: String?
    public var mode: BondMode?
    /// `active` / `follow` from `(fail_over_mac …)`.
    public var failOverMAC: String?
    /// nil for `None`.
    public var primary: String?
    public var primaryReselect: String?
    /// nil for `None`.
    public var activeSlave: String?
    public var miiStatus: MIIStatus?
    public var miimon: Int?
    public var updelay: Int?
    public var downdelay: Int?
    public var peerNotifDelay: Int?
    public var slaves: [Slave] = []

    /// Parses the text; unknown lines are ignored.
    public init(text: String) {
        var current: Slave?
        /// Inside a slave's `details actor/partner lacp pdu:` block.
        var details = ""
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = trimmed(rawLine)
            if line == "details actor lacp pdu:" || line == "details partner lacp pdu:" {
                details = line.contains("actor") ? "actor" : "partner"
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            let value = trimmed(line[line.index(after: colon)...])
            if key == "Slave Interface" {
                if let current { slaves.append(current) }
                current = Slave(name: value)
                details = ""
                continue
            }
            if current != nil {
                switch key {
                case "Aggregator ID": current?.aggregatorID = Int(value)
                case "port state" where details == "actor": current?.actorPortState = Int(value)
                case "port state" where details == "partner": current?.partnerPortState = Int(value)
                case "MII Status": current?.miiStatus = Self.mii(value)
                case "Link Failure Count": current?.linkFailureCount = Int(value)
                case "Permanent HW addr": current?.permanentMAC = value
                case "Speed": current?.speed = value
                case "Duplex": current?.duplex = value
                default: break
                }
                continue
            }
            switch key {
            case "Bonding Mode":
                var description = value
                if let range = value.firstRange(of: " (fail_over_mac ") {
                    failOverMAC = String(value[range.upperBound...].dropLast())
                    description = String(value[..<range.lowerBound])
                }
                modeDescription = description
                mode = BondMode.allCases.first { $0.procDescription == description }
            case "Primary Slave":
                if value != "None" {
                    if let range = value.firstRange(of: " (primary_reselect ") {
                        primary = String(value[..<range.lowerBound])
                        primaryReselect = String(value[range.upperBound...].dropLast())
                    } else {
                        primary = value
                    }
                }
            case "Currently Active Slave": activeSlave = value == "None" ? nil : value
            case "MII Status": miiStatus = Self.mii(value)
            case "MII Polling Interval (ms)": miimon = Int(value)
            case "Up Delay (ms)": updelay = Int(value)
            case "Down Delay (ms)": downdelay = Int(value)
            case "Peer Notification Delay (ms)": peerNotifDelay = Int(value)
            case "Aggregator ID": aggregatorID = Int(value)
            case "Number of ports": numberOfPorts = Int(value)
            case "Actor Key": actorKey = Int(value)
            case "Partner Key": partnerKey = Int(value)
            case "Partner Mac Address": partnerMAC = value
            default: break
            }
        }
        if let current { slaves.append(current) }
    }

    /// `up`, `down`, `going back`, `going down` (bond_slave_link_status).
    static func mii(_ text: String) -> MIIStatus? {
        switch text {
        case "up": .up
        case "down": .down
        case "going back": .goingBack
        case "going down": .goingDown
        default: nil
        }
    }

    public func slave(named name: String) -> Slave? { slaves.first { $0.name == name } }
}

/// Text without leading and trailing spaces, tabs and CR.
func trimmed(_ text: some StringProtocol) -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
    guard let first = text.firstIndex(where: { !isSpace($0) }),
        let last = text.lastIndex(where: { !isSpace($0) })
    else { return "" }
    return String(text[first...last])
}
