internal import CNetShims
import Foundation
import Synchronization

/// Turns SIGINT and SIGTERM into cancellation of the run, so it tears down what it built, writes its
/// report (the interrupted playbook errored) and exits 70.
///
/// `install()` is the first thing `run` does, before anything is created: a C handler (sigaction, no
/// window where the signal is ignored or blocked) remembers the first signal and writes it to a pipe;
/// a reader thread cancels every registered task. A signal that arrives before a task is registered
/// is pending: `cancelOnSignal` cancels at once, and `received` stays set, so an interrupted run never
/// exits 0. Further signals while tearing down are noted and ignored (teardown is short and must
/// finish); `restoreDefaults()` at the very end gives them back their default action.
public final class SignalCancellation: Sendable {
    public static let shared = SignalCancellation()

    private struct State {
        var installed = false
        var received: Int32?
        var count = 0
        var cancels: [Int: @Sendable () -> Void] = [:]
        var next = 0
    }

    private let state = Mutex(State())

    private init() {}

    /// Installs the handler (idempotent).
    /// - Throws: `OrchestrationError.environment` (exit 70) when the handler or its pipe cannot be set up.
    public func install() throws {
        let fresh = state.withLock { state -> Bool in
            defer { state.installed = true }
            return !state.installed
        }
        guard fresh else { return }
        let fd = CNetShims_catch_stop_signals()
        guard fd >= 0 else {
            throw OrchestrationError(
                .environment, "cannot install the SIGINT/SIGTERM handler: \(String(cString: strerror(errno)))")
        }
        let thread = Thread { [self] in
            var byte: UInt8 = 0
            while true {
                let count = read(fd, &byte, 1)
                if count < 0, errno == EINTR { continue }
                guard count == 1 else { return }
                deliver(Int32(byte))
            }
        }
        thread.name = "failover-signals"
        thread.start()
    }

    private func deliver(_ signalNumber: Int32) {
        let (first, cancels) = state.withLock { state -> (Bool, [@Sendable () -> Void]) in
            state.count += 1
            if state.received == nil { state.received = signalNumber }
            return (state.count == 1, Array(state.cancels.values))
        }
        let name = Self.name(of: signalNumber)
        FileHandle.standardError.write(
            Data(
                (first
                    ? "failover: \(name): stopping and cleaning up (the report marks the interrupted playbook errored)\n"
                    : "failover: \(name) again: still cleaning up\n").utf8))
        for cancel in cancels { cancel() }
    }

    /// The first SIGINT/SIGTERM received since `install`, if any.
    public var received: Int32? {
        let caught = CNetShims_first_stop_signal()
        return caught != 0 ? caught : state.withLock { $0.received }
    }

    /// Cancels `task` on a signal (at once if one was received already). Returns a token for `forget`.
    @discardableResult
    public func cancelOnSignal<T: Sendable, E: Error>(_ task: Task<T, E>) -> Int {
        let (token, pending) = state.withLock { state -> (Int, Bool) in
            state.next += 1
            state.cancels[state.next] = { task.cancel() }
            return (state.next, state.received != nil)
        }
        if pending || received != nil { task.cancel() }
        return token
    }

    /// Stops cancelling the task of `token`.
    public func forget(_ token: Int) {
        state.withLock { _ = $0.cancels.removeValue(forKey: token) }
    }

    /// Gives SIGINT and SIGTERM their default action again (after the last check of `received`).
    public func restoreDefaults() {
        CNetShims_default_stop_signals()
    }

    public static func name(of signalNumber: Int32) -> String {
        switch signalNumber {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(signalNumber)"
        }
    }
}
