internal import CNetShims
import Dispatch
import Foundation

/// Turns SIGINT and SIGTERM into cancellation of one task, so a run tears down what it built.
/// A second signal while tearing down is ignored (teardown is short and must finish).
final class SignalCancellation {
    private let sources: [any DispatchSourceSignal]

    init<T: Sendable>(task: Task<T, Never>) {
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                FileHandle.standardError.write(
                    Data("failover: signal \(signalNumber): stopping and cleaning up\n".utf8))
                task.cancel()
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func stop() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
