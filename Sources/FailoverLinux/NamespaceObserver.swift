import FailoverCore
import FailoverModel
import FailoverNetlink
import Synchronization

/// Watches one namespace's link and address events and appends only *changes* to the log,
/// each stamped with the CLOCK_MONOTONIC time its netlink datagram was received. Every link
/// record carries the link's whole state after it (the timeline assertions read), and a
/// `baseline` record per link gives the state when observation started.
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
                let time = MonotonicInstant(nanoseconds: MonotonicTime.now())
                let baseline = state.snapshots.withLock { map -> [ObservationRecord] in
                    for link in links where link.family == 0 { map[link.index] = LinkSnapshot(link) }
                    let names = map.mapValues(\.name)
                    let name = { (index: UInt32) in names[Int32(bitPattern: index)] }
                    return links.filter { $0.name != "lo" && $0.family == 0 }.compactMap { link in
                        map[link.index].map { snapshot in
                            ObservationRecord(
                                time: time, host: role, interface: link.name, kind: "baseline",
                                detail: ObservationDiff.linkDetail(snapshot), state: snapshot.observed(name: name))
                        }
                    }
                }
                for record in baseline { log.append(record) }
            },
            handler: { event in
                Self.handle(event, role: role, state: state, log: log)
            })
    }

    func stop() { monitor.stop() }

    /// Returns once every event emitted before the call is in the log (see `LinkMonitor`).
    func synchronize() async throws { try await monitor.synchronize() }

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
            let (changes, observed) = state.snapshots.withLock { map -> ([ObservedChange], ObservedLinkState) in
                if deleted {
                    map[link.index] = nil
                    return ([ObservedChange(kind: "link", detail: "deleted")], .deleted)
                }
                var new = LinkSnapshot(link)
                let old = map[link.index]
                if new.carrierChanges == nil { new.carrierChanges = old?.carrierChanges }
                map[link.index] = new
                let names = map.mapValues(\.name)
                let name = { (index: UInt32) in names[Int32(bitPattern: index)] }
                return (ObservationDiff.changes(from: old, to: new, name: name), new.observed(name: name))
            }
            for change in changes {
                log.append(
                    ObservationRecord(
                        time: MonotonicInstant(nanoseconds: time), host: role, interface: link.name, kind: change.kind,
                        detail: change.detail, state: observed))
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
