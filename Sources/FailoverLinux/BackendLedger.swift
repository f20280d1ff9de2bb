/// Everything a backend created, recorded as it is created, undone in reverse order.
public actor BackendLedger {
    public enum Entry: Sendable, Hashable, CustomStringConvertible {
        case namespace(String)
        /// An interface inside one of our namespaces.
        case link(namespace: String, name: String)
        /// An nftables table (host-to-host blackhole) inside a namespace.
        case nftTable(namespace: String, table: String)

        public var description: String {
            switch self {
            case .namespace(let name): "namespace \(name)"
            case .link(let namespace, let name): "link \(namespace)/\(name)"
            case .nftTable(let namespace, let table): "nft table \(namespace)/\(table)"
            }
        }

        /// The namespace this entry lives in (its own name for a namespace).
        public var namespace: String {
            switch self {
            case .namespace(let name): name
            case .link(let namespace, _), .nftTable(let namespace, _): namespace
            }
        }
    }

    public private(set) var entries: [Entry] = []

    public init() {}

    public func record(_ entry: Entry) { entries.append(entry) }

    /// Forgets an entry that was undone early (a restored blackhole).
    public func remove(_ entry: Entry) {
        if let index = entries.lastIndex(of: entry) { entries.remove(at: index) }
    }

    /// Empties the ledger and returns what must be undone, newest first. Entries inside a
    /// namespace that is itself in the ledger are left out: deleting the namespace removes them.
    public func takeUndoPlan() -> [Entry] {
        let all = entries
        entries = []
        return Self.undoPlan(all)
    }

    /// The undo order for `entries` (reverse creation order, namespace contents elided).
    public static func undoPlan(_ entries: [Entry]) -> [Entry] {
        let namespaces = Set(
            entries.compactMap { entry -> String? in
                if case .namespace(let name) = entry { return name }
                return nil
            })
        return entries.reversed().filter { entry in
            if case .namespace = entry { return true }
            return !namespaces.contains(entry.namespace)
        }
    }
}
