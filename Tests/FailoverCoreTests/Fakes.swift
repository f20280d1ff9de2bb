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

/// A backend whose kernel is a dictionary; faults trigger scripted reactions on the clock. Like
/// the real observers, it logs a `baseline` record per interface at build and a record with the
/// new state of each interface a reaction changed (unless the reaction is scripted as unseen).
final class ScriptedBackend: NetworkBackend, Sendable {
    typealias Change = @Sendable (inout [InterfaceRef: InterfaceState]) -> Void
    struct State {
        var interfaces: [InterfaceRef: InterfaceState] = [:]
        var reactions: [StepAction: [(Duration, Bool, Change)]] = [:]
        var performed: [StepAction] = []
        /// Errors `perform` throws for an action (e.g. a `KernelRefusal`), instead of applying it.
        var refusals: [StepAction: any Error] = [:]
        /// Changes applied before `perform` returns (as the kernel applies a bond option).
        var immediate: [StepAction: @Sendable (inout [InterfaceRef: InterfaceState]) -> Void] = [:]
        var tornDown = 0
        var buildError: (any Error)?
        var barrierError: (any Error)?
        var barriers: [MonotonicInstant] = []
        /// Records an observer delivers only while the next barrier is being waited for (an
        /// event emitted before it whose receipt lagged).
        var lateRecords: [ObservationRecord] = []
        var log: ObservationLog?
        var plan: RunPlan?
        /// The plan's operations executed so far (build, then each performed step's).
        var executed: [PlannedOperation] = []
    }
    let state = Mutex(State())
    let clock: SimulatedClock

    init(clock: SimulatedClock) { self.clock = clock }

    func set(_ ref: String, _ value: InterfaceState) {
        state.withLock { $0.interfaces[InterfaceRef(ref)!] = value }
    }

    /// After `action`, `delay` later, the kernel changes; `observed: false` keeps it out of the log.
    func on(_ action: StepAction, after delay: Duration, observed: Bool = true, _ change: @escaping Change) {
        state.withLock { $0.reactions[action, default: []].append((delay, observed, change)) }
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
    /// When each barrier was asked for.
    var barriers: [MonotonicInstant] { state.withLock { $0.barriers } }

    func build(_ plan: RunPlan, log: ObservationLog) async throws {
        let (error, interfaces) = state.withLock { state -> ((any Error)?, [InterfaceRef: InterfaceState]) in
            state.log = log
            state.plan = plan
            if state.buildError == nil { state.executed = plan.buildOperations }
            return (state.buildError, state.interfaces)
        }
        if let error { throw error }
        for (ref, value) in interfaces.sorted(by: { $0.key.description < $1.key.description }) {
            log.append(
                ObservationRecord(
                    time: clock.now(), host: ref.host, interface: ref.interface, kind: "baseline", detail: "scripted",
                    state: ObservedLinkState(value)))
        }
    }

    /// The step of the built plan whose operations these are: the scripted kernel reacts to steps.
    func perform(_ operations: [PlannedOperation]) async throws -> MonotonicInstant {
        let step = state.withLock { $0.plan?.steps.first { $0.operations == operations } }
        guard let action = step?.action, !operations.isEmpty else {
            throw BackendError(operation: "perform", object: "\(operations)", detail: "not a step of the plan")
        }
        let (reactions, refusal) = state.withLock { state in
            state.performed.append(action)
            if state.refusals[action] == nil { state.executed += operations }
            if state.refusals[action] == nil { state.immediate[action]?(&state.interfaces) }
            return (state.reactions[action] ?? [], state.refusals[action])
        }
        if let refusal { throw refusal }
        for (delay, observed, change) in reactions {
            clock.schedule(after: delay) { [self] in
                let (log, changed) = state.withLock { state -> (ObservationLog?, [(InterfaceRef, InterfaceState)]) in
                    let before = state.interfaces
                    change(&state.interfaces)
                    let changed = state.interfaces.filter { before[$0.key] != $0.value }
                    return (state.log, changed.sorted { $0.key.description < $1.key.description })
                }
                guard observed else { return }
                for (ref, value) in changed {
                    log?.append(
                        ObservationRecord(
                            time: clock.now(), host: ref.host, interface: ref.interface, kind: "link",
                            detail: "scripted change", state: ObservedLinkState(value)))
                }
            }
        }
        return clock.now()
    }

    func state(of interface: InterfaceRef) async throws -> InterfaceState {
        state.withLock { $0.interfaces[interface] ?? .missing }
    }

    func executedOperations() async -> [PlannedOperation]? { state.withLock { $0.executed } }

    /// The scripted log is complete once this returns: records are appended when their change
    /// happens, late ones here.
    func synchronize() async throws {
        let (error, late, log) = state.withLock { state -> ((any Error)?, [ObservationRecord], ObservationLog?) in
            state.barriers.append(clock.now())
            defer { state.lateRecords = [] }
            return (state.barrierError, state.lateRecords, state.log)
        }
        for record in late { log?.append(record) }
        if let error { throw error }
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
