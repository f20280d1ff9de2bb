import ArgumentParser
import FailoverOrchestration
import FailoverVM
import Foundation

/// `failover lab-exec -- CMD ARGS`: run any command on a stock kernel in the kernel lab (the same
/// VM `run` uses). Useful to try a kernel by hand, and how `make test` runs the bond tests of the
/// test bundle on a real bonding driver.
struct LabExecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab-exec",
        abstract: "Run a command inside the kernel lab VM (host / read-only; --rw dirs writable).",
        discussion: """
            Exits with the command's exit status; 70 if the VM itself failed. Put the command after --
            (failover lab-exec -- ip -d link): options before it are lab-exec's.
            """
    )

    @Option(name: .customLong("kernel"), help: "Kernel image (default: newest /boot/vmlinuz-* with modules).")
    var kernel: String?

    @Option(name: .customLong("rw"), help: "Host directory shared writable at the same path (repeatable).")
    var writable: [String] = []

    @Option(name: .customLong("env"), help: "KEY=VALUE for the command's environment (repeatable).")
    var environment: [String] = []

    @Option(help: "VM accelerator: auto, kvm, tcg.")
    var accelerator: String = "auto"

    @Option(help: "Time limit in seconds (qemu is killed by PID after it).")
    var timeout: Int = 1800

    @OptionGroup var logging: LoggingOptions

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (after --).")
    var command: [String] = []

    func validate() throws {
        // The command is captured verbatim (its own options must reach it), so `lab-exec --help`
        // would be taken for a program named --help: before a `--`, -h/--help is ours.
        if let first = command.first, first == "--help" || first == "-h" {
            throw CleanExit.helpRequest(LabExecCommand.self)
        }
    }

    func run() async throws {
        let logger = try logging.bootstrap()
        var argv = command
        if argv.first == "--" { argv.removeFirst() }
        guard !argv.isEmpty else { throw ValidationError("give the command after --") }
        argv = try LabExecOrchestrator.resolve(argv, cwd: FileManager.default.currentDirectoryPath)
        var env = LabExecOrchestrator.baseEnvironment
        for item in environment {
            guard let equals = item.firstIndex(of: "=") else { throw ValidationError("--env wants KEY=VALUE: \(item)") }
            env[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        guard let acceleratorChoice = Accelerator(rawValue: accelerator) else {
            throw ValidationError("--accelerator must be auto, kvm or tcg")
        }
        var options = LabExecOptions(argv: argv, environment: env)
        options.kernel = kernel
        options.writableDirectories = writable
        options.accelerator = acceleratorChoice
        options.timeout = .seconds(timeout)
        let status = try await LabExecOrchestrator(options: options, logger: logger).run()
        if status != 0 { throw fail(status, "") }
    }
}
