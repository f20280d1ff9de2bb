import FailoverCore
import FailoverModel
import Synchronization

/// A clock for deterministic tests: `sleep(until:)` jumps to the earliest scheduled event before
/// the deadline (running it), or to the deadline.
final class SimulatedClock: MonotonicClock, Sendable {
    private struct State {
        var now: UInt64 = 1_000_000_000
        var events: [(at: UInt64, action: @Sendable () -> Void)] = []
    }
    private let state = Mutex(State())

    func now() -> MonotonicInstant { MonotonicInstant(nanoseconds: state.withLock { $0.now }) }

    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
        state.withLock { state in
            state.events.append((state.now + UInt64(delay.totalNanoseconds), action))
            state.events.sort { $0.at < $1.at }
        }
    }

    func sleep(until deadline: MonotonicInstant) async throws {
        try Task.checkCancellation()
        let action = state.withLock { state -> (@Sendable () -> Void)? in
            if let first = state.events.first, first.at <= deadline.nanoseconds {
                state.events.removeFirst()
                state.now = max(state.now, first.at)
                return first.action
            }
            state.now = max(state.now, deadline.nanoseconds)
            return nil
        }
        action?()
        await Task.yield()
    }
}

/// A backend whose kernel is a dictionary; faults trigger scripted reactions on the clock.
final class ScriptedBackend: NetworkBackend, Sendable {
    struct State {
        var interfaces: [InterfaceRef: InterfaceState] = [:]
        var reactions: [StepAction: [(Duration, @Sendable (inout [InterfaceRef: InterfaceState]) -> Void)]] = [:]
        var performed: [StepAction] = []
        /// Errors `perform` throws for an action (e.g. a `KernelRefusal`), instead of applying it.
        var refusals: [StepAction: any Error] = [:]
        /// Changes applied before `perform` returns (as the kernel applies a bond option).
        var immediate: [StepAction: @Sendable (inout [InterfaceRef: InterfaceState]) -> Void] = [:]
        var tornDown = 0
        var buildError: (any Error)?
        var log: ObservationLog?
    }
    let state = Mutex(State())
    let clock: SimulatedClock

    init(clock: SimulatedClock) { self.clock = clock }

    func set(_ ref: String, _ value: InterfaceState) {
        state.withLock { $0.interfaces[InterfaceRef(ref)!] = value }
    }

    func on(
        _ action: StepAction, after delay: Duration,
        _ change: @escaping @Sendable (inout [InterfaceRef: InterfaceState]) -> Void
    ) {
        state.withLock { $0.reactions[action, default: []].append((delay, change)) }
    }

    /// `perform(action)` throws `error` (the kernel refuses it).
    func refuse(_ action: StepAction, with error: any Error) {
        state.withLock { $0.refusals[action] = error }
    }

    /// `perform(action)` applies `change` before it returns.
    func onPerform(
        _ action: StepAction, _ change: @escaping @Sendable (inout [InterfaceRef: InterfaceState]) -> Void
    ) {
        state.withLock { $0.immediate[action] = change }
    }

    var performed: [StepAction] { state.withLock { $0.performed } }
    var tornDown: Int { state.withLock { $0.tornDown } }

    func build(_ playbook: Playbook, names: RunNames, log: ObservationLog) async throws {
        let error = state.withLock { state -> (any Error)? in
            state.log = log
            return state.buildError
        }
        if let error { throw error }
    }

    func perform(_ action: StepAction) async throws -> MonotonicInstant {
        let (reactions, refusal) = state.withLock { state in
            state.performed.append(action)
            if state.refusals[action] == nil { state.immediate[action]?(&state.interfaces) }
            return (state.reactions[action] ?? [], state.refusals[action])
        }
        if let refusal { throw refusal }
        for (delay, change) in reactions {
            clock.schedule(after: delay) { [self] in
                let log = state.withLock { state in
                    change(&state.interfaces)
                    return state.log
                }
                log?.append(
                    ObservationRecord(
                        time: clock.now(), host: "h", interface: "x", kind: "link", detail: "scripted change"))
            }
        }
        return clock.now()
    }

    func state(of interface: InterfaceRef) async throws -> InterfaceState {
        state.withLock { $0.interfaces[interface] ?? .missing }
    }

    func teardown() async -> [String] {
        state.withLock { $0.tornDown += 1 }
        return []
    }
}

func bondState(active: String?, carrier: Bool = true) -> InterfaceState {
    InterfaceState(
        exists: true, adminUp: true, carrier: carrier, mac: MACAddress("02:00:00:00:00:01"),
        bond: BondState(mode: .activeBackup, activeSlave: active, miimon: 100))
}

func slaveState(mii: MIIStatus, failures: Int, perm: String) -> InterfaceState {
    InterfaceState(
        exists: true, adminUp: true, carrier: mii == .up, mac: MACAddress("02:00:00:00:00:01"),
        slave: SlaveState(
            master: "bond0", miiStatus: mii, linkFailureCount: failures, state: "backup",
            permanentMAC: MACAddress(perm)))
}

/// The topology of the seed-001 sketch: server with bond0 over eth0/eth1 on one switch.
func seedPlaybook(steps: [StepAction], miimon: Int = 100) -> Playbook {
    var options = BondOptions()
    options.miimon = miimon
    let topology = Topology(
        switches: [Switch(name: "sw")],
        hosts: [
            Host(
                name: "server", interfaces: ["eth0", "eth1"],
                bonds: [Bond(name: "bond0", mode: .activeBackup, slaves: ["eth0", "eth1"], options: options)]),
            Host(name: "client", interfaces: ["eth0"]),
        ],
        cables: [
            Cable(a: InterfaceRef("server/eth0")!, b: .switch("sw")),
            Cable(a: InterfaceRef("server/eth1")!, b: .switch("sw")),
            Cable(a: InterfaceRef("client/eth0")!, b: .switch("sw")),
        ])
    return Playbook(name: "seed", topology: topology, steps: steps.map { Step($0) }, file: "seed.yaml")
}
