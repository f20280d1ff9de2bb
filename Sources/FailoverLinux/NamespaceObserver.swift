import FailoverCore
import FailoverModel
import FailoverNetlink
import Synchronization

/// Watches one namespace's link and address events and appends only *changes* to the log,
/// each stamped with the CLOCK_MONOTONIC time its netlink datagram was received.
final class NamespaceObserver: Sendable {
    private final class State: Sendable {
        let snapshots = Mutex<[Int32: LinkSnapshot]>([:])
    }

    private let monitor: LinkMonitor

    /// - Parameter role: the host or switch name used in records.
    init(role: String, namespace: String, namespaceFD: Int32, log: ObservationLog) throws {
        let state = State()
        monitor = try LinkMonitor(
            namespace: namespace, namespaceFD: namespaceFD,
            initialDump: { links in
                state.snapshots.withLock { map in
                    for link in links { map[link.index] = LinkSnapshot(link) }
                }
            },
            handler: { event in
                Self.handle(event, role: role, state: state, log: log)
            })
    }

    func stop() { monitor.stop() }

    /// RFC 5952 text of an address message (`2001:2::1/64`).
    static func text(of address: Address) -> String {
        switch address.address.count {
        case 4:
            InterfaceAddress(family: .ipv4, bytes: address.address, prefixLength: Int(address.prefixLength)).description
        case 16:
            InterfaceAddress(family: .ipv6, bytes: address.address, prefixLength: Int(address.prefixLength)).description
        default: address.text
        }
    }

    private static func handle(_ event: LinkEvent, role: String, state: State, log: ObservationLog) {
        switch event {
        case .link(let link, let deleted, let time):
            // Bridge port notifications (AF_BRIDGE) repeat the port with fewer attributes.
            guard link.name != "lo", link.family == 0 else { return }
            let changes = state.snapshots.withLock { map -> [ObservedChange] in
                if deleted {
                    map[link.index] = nil
                    return [ObservedChange(kind: "link", detail: "deleted")]
                }
                var new = LinkSnapshot(link)
                let old = map[link.index]
                if new.carrierChanges == nil { new.carrierChanges = old?.carrierChanges }
                map[link.index] = new
                return ObservationDiff.changes(from: old, to: new) { index in map[Int32(bitPattern: index)]?.name }
            }
            for change in changes {
                log.append(
                    ObservationRecord(
                        time: MonotonicInstant(nanoseconds: time), host: role, interface: link.name, kind: change.kind,
                        detail: change.detail))
            }
        case .address(let address, let deleted, let time):
            let name = state.snapshots.withLock { $0[address.index]?.name } ?? "ifindex \(address.index)"
            guard name != "lo" else { return }
            log.append(
                ObservationRecord(
                    time: MonotonicInstant(nanoseconds: time), host: role, interface: name, kind: "address",
                    detail: "\(deleted ? "removed" : "added") \(Self.text(of: address))"))
        case .resync(let links, let time):
            for link in links where link.name != "lo" {
                handle(.link(link, deleted: false, time: time), role: role, state: state, log: log)
            }
            log.append(
                ObservationRecord(
                    time: MonotonicInstant(nanoseconds: time), host: role, interface: "*", kind: "overrun",
                    detail: "netlink events lost (ENOBUFS); state re-read"))
        case .failed(let error):
            log.append(
                ObservationRecord(
                    time: MonotonicInstant(nanoseconds: MonotonicTime.now()), host: role, interface: "*",
                    kind: "observer_error", detail: error.description))
        }
    }
}
