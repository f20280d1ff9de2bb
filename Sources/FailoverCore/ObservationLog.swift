public import FailoverModel
import Synchronization

/// Append-only log of observations shared by observers (writers, any thread) and the runner
/// (which waits for the next observation instead of polling).
public final class ObservationLog: Sendable {
    private struct State {
        var records: [ObservationRecord] = []
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Appends and wakes every waiter.
    public func append(_ record: ObservationRecord) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.records.append(record)
            let woken = Array(state.waiters.values)
            state.waiters.removeAll()
            return woken
        }
        for waiter in waiters { waiter.resume() }
    }

    public var records: [ObservationRecord] { state.withLock { $0.records } }
    public var count: Int { state.withLock { $0.records.count } }

    /// Returns once the log holds more than `count` records, or when the task is cancelled.
    public func waitForRecord(after count: Int) async {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.records.count > count || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
