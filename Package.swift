// swift-tools-version: 6.2
// failover — automated failover test harness for Linux.
import PackageDescription

let package = Package(
    name: "failover",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "failover", targets: ["failover"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // C: Linux uapi headers and out-of-line shims (_GNU_SOURCE calls, netlink macros).
        .target(
            name: "CNetShims",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // Pure value types: playbook, topology, steps, assertions, run record. No I/O.
        .target(name: "FailoverModel"),
        // YAML -> model with strict keys, file:line:column diagnostics, semantic validation.
        .target(
            name: "FailoverPlaybook",
            dependencies: ["FailoverModel", .product(name: "Yams", package: "Yams")]
        ),
        // Orchestration: backend/observer protocols, runner, condition waiting, ledger, plan.
        .target(
            name: "FailoverCore",
            dependencies: ["FailoverModel", .product(name: "Logging", package: "swift-log")]
        ),
        // The families of steps and assertions, one folder each: decoding entries, checks on the
        // model, evaluators, plan text; `StandardFamilies` is the one table of them.
        .target(
            name: "FailoverFamilies",
            dependencies: [
                "FailoverModel", "FailoverPlaybook", "FailoverCore", .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The one system layer: errors with errno and context, the errno wrapper, the clock,
        // namespace worker threads (setns), safe result files, and the process supervisor.
        .target(
            name: "FailoverSystem",
            dependencies: [
                "CNetShims",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // rtnetlink sockets and requests. No knowledge of playbooks.
        .target(
            name: "FailoverNetlink",
            dependencies: [
                "CNetShims", "FailoverSystem",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // The network-namespace backend: topology, faults, observers, cleanup.
        .target(
            name: "FailoverLinux",
            dependencies: [
                "CNetShims", "FailoverCore", "FailoverModel", "FailoverNetlink", "FailoverSystem",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Kernel lab: boot a stock kernel with qemu and run failover inside.
        .target(
            name: "FailoverVM",
            dependencies: [
                "CNetShims", "FailoverCore", "FailoverNetlink", "FailoverSystem",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Traffic probes: sequenced UDP streams opened inside namespaces, and outage metrics (RFC 6414).
        .target(
            name: "FailoverProbe",
            dependencies: [
                "CNetShims", "FailoverModel", "FailoverCore", "FailoverNetlink", "FailoverSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // libpcap (libpcap-dev): the system library under FailoverCapture.
        .systemLibrary(name: "CPcap"),
        // Captures on libpcap inside namespaces, pcapng files, frame decoding (ARP, ND, LACP, VRRP/CARP).
        .target(
            name: "FailoverCapture",
            dependencies: [
                "CPcap", "FailoverSystem", "FailoverModel",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Report writers: JSON, JUnit, console summary.
        .target(name: "FailoverReport", dependencies: ["FailoverModel", "FailoverNetlink"]),
        // What the commands do: host/lab placement, kernel matrix, guest protocol, timing allowances,
        // results, signals, cleanup, plan and validate. No argument parsing, no exit codes.
        .target(
            name: "FailoverOrchestration",
            dependencies: [
                "CNetShims", "FailoverModel", "FailoverPlaybook", "FailoverCore", "FailoverFamilies", "FailoverLinux",
                "FailoverNetlink", "FailoverVM", "FailoverReport", "FailoverProbe", "FailoverCapture",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Thin CLI: argument parsing and exit codes.
        .executableTarget(
            name: "failover",
            dependencies: [
                "FailoverModel", "FailoverOrchestration", "FailoverVM",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // `make bench`: NamespaceBackend vs one `ip` process per command (needs root).
        .executableTarget(
            name: "backend-bench",
            dependencies: [
                "CNetShims", "FailoverLinux", "FailoverCore", "FailoverModel", "FailoverNetlink",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/backend"
        ),

        // Unit tests: fast, deterministic, no root.
        .testTarget(
            name: "FailoverPlaybookTests",
            dependencies: ["FailoverPlaybook", "FailoverModel", "FailoverCore", "FailoverFamilies"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "FailoverCoreTests", dependencies: ["FailoverCore", "FailoverModel", "FailoverFamilies"]),
        .testTarget(name: "FailoverSystemTests", dependencies: ["FailoverSystem"]),
        .testTarget(name: "FailoverNetlinkTests", dependencies: ["FailoverNetlink"]),
        .testTarget(name: "FailoverLinuxTests", dependencies: ["FailoverLinux", "FailoverModel"]),
        .testTarget(name: "FailoverVMTests", dependencies: ["FailoverVM"]),
        .testTarget(name: "FailoverProbeTests", dependencies: ["FailoverProbe", "FailoverModel"]),
        .testTarget(
            name: "FailoverCaptureTests", dependencies: ["FailoverCapture", "FailoverModel", "FailoverSystem"]),
        .testTarget(
            name: "FailoverReportTests",
            dependencies: ["FailoverReport", "FailoverModel"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "FailoverCLITests", dependencies: ["failover"]),
        .testTarget(
            name: "FailoverOrchestrationTests",
            dependencies: [
                "FailoverOrchestration", "FailoverModel", "FailoverPlaybook", "FailoverFamilies", "FailoverCapture",
                "FailoverCore",
            ]
        ),
        // Privileged integration tests: need root and FAILOVER_INTEGRATION=1.
        .testTarget(
            name: "FailoverIntegrationTests",
            dependencies: [
                "FailoverLinux", "FailoverNetlink", "FailoverCore", "FailoverModel", "FailoverPlaybook", "FailoverVM",
                "FailoverProbe", "FailoverSystem", "FailoverCapture", "FailoverFamilies",
            ]
        ),
    ]
)

for target in package.targets where target.type != .system {
    guard target.name != "CNetShims" else { continue }
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
