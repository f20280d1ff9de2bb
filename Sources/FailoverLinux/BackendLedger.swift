public import FailoverCore

/// Every operation a backend executed, recorded as it succeeds, in order. Teardown undoes what
/// they created (`undoPlan`) in reverse order; tests compare the record with the run plan.
public actor BackendLedger {
    /// Something teardown removes.
    public enum Entry: Sendable, Hashable, CustomStringConvertible {
        case namespace(String)
        /// An interface inside one of our namespaces.
        case link(namespace: String, name: String)
        /// A supervised process (a ucarp peer) running inside one of our namespaces.
        case process(namespace: String, name: String)

        public var description: String {
            switch self {
            case .namespace(let name): "namespace \(name)"
            case .link(let namespace, let name): "link \(namespace)/\(name)"
            case .process(let namespace, let name): "process \(name) in \(namespace)"
            }
        }

        /// The namespace this entry lives in (its own name for a namespace).
        public var namespace: String {
            switch self {
            case .namespace(let name): name
            case .link(let namespace, _): namespace
            case .process(let namespace, _): namespace
            }
        }

        init(_ created: RunOperation.Created) {
            switch created {
            case .namespace(let name): self = .namespace(name)
            case .link(let link): self = .link(namespace: link.namespace, name: link.name)
            case .process(let namespace, let name): self = .process(namespace: namespace, name: name)
            }
        }
    }

    /// Every operation executed, in order (kept after teardown, for reports and tests).
    public private(set) var executed: [PlannedOperation] = []
    /// How many of `executed` were already handed to teardown.
    private var undone = 0

    public init() {}

    public func record(_ operation: PlannedOperation) { executed.append(operation) }

    /// What the executed operations created and teardown has not yet taken, in creation order.
    public var entries: [Entry] { Self.entries(executed[undone...]) }

    /// Returns what must be undone, newest first, and marks it taken (a second call returns only
    /// what was executed since). Entries inside a namespace that is itself in the ledger are left
    /// out: deleting the namespace removes them. Processes are kept: they are stopped (before their
    /// namespace goes, which reverse order gives).
    public func takeUndoPlan() -> [Entry] {
        let pending = executed[undone...]
        undone = executed.count
        return Self.undoPlan(Self.entries(pending))
    }

    /// The objects `operations` created, in creation order.
    public static func entries(_ operations: some Sequence<PlannedOperation>) -> [Entry] {
        operations.flatMap { $0.operation.creates.map(Entry.init) }
    }

    /// The undo order for `entries` (reverse creation order, namespace contents elided).
    public static func undoPlan(_ entries: [Entry]) -> [Entry] {
        let namespaces = Set(
            entries.compactMap { entry -> String? in
                if case .namespace(let name) = entry { return name }
                return nil
            })
        return entries.reversed().filter { entry in
            switch entry {
            case .namespace, .process: return true
            case .link: break
            }
            return !namespaces.contains(entry.namespace)
        }
    }
}
