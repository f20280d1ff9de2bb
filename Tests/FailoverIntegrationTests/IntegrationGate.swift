import Foundation

/// Privileged tests run only as root with FAILOVER_INTEGRATION=1 (sessions and CI run as root,
/// so root alone is not an opt-in).
enum IntegrationGate {
    static var enabled: Bool {
        getuid() == 0 && ProcessInfo.processInfo.environment["FAILOVER_INTEGRATION"] == "1"
    }
}
