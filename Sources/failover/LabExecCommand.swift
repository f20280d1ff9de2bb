import ArgumentParser
internal import CNetShims
import FailoverVM
import Foundation
import Logging

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
        guard let program = argv.first else { throw ValidationError("give the command after --") }
        let cwd = FileManager.default.currentDirectoryPath
        if !program.hasPrefix("/") {
            // Resolve like a shell would: relative to the working directory or on PATH.
            if program.contains("/") {
                argv[0] = absolute(program, cwd: cwd)
            } else if let found = findOnPath(program) {
                argv[0] = found
            } else {
                throw fail(ExitCodes.usage, "\(program): not found on PATH")
            }
        }
        var env = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        for item in environment {
            guard let equals = item.firstIndex(of: "=") else { throw ValidationError("--env wants KEY=VALUE: \(item)") }
            env[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        guard let acceleratorChoice = Accelerator(rawValue: accelerator) else {
            throw ValidationError("--accelerator must be auto, kvm or tcg")
        }
        let image: KernelImage
        do {
            image = try kernel.map { try KernelLocator.kernel(at: $0) } ?? KernelLocator.defaultKernel()
        } catch {
            throw fail(ExitCodes.software, "kernel lab: \(KernelLocator.message(for: error))")
        }
        let request = VMRunRequest(
            kernel: image, argv: argv, environment: env, workingDirectory: cwd,
            writableDirectories: writable.map { absolute($0, cwd: cwd) }, timeout: .seconds(timeout),
            accelerator: acceleratorChoice)
        let result: VMRunResult
        do {
            result = try await KernelLab(logger: logger).run(request) { line in
                switch line.stream {
                case .stdout: printOut(line.text + "\n")
                case .stderr: printError(line.text)
                }
            }
        } catch {
            throw fail(ExitCodes.software, "kernel lab (\(image.release)): \(error)")
        }
        logger.info(
            "kernel lab done",
            metadata: [
                "kernel": "\(result.kernelRelease)", "accelerator": "\(result.accelerator.rawValue)",
                "boot": "\(seconds(result.bootToCommand))", "total": "\(seconds(result.total))",
            ])
        if result.exitCode != 0 { throw fail(result.exitCode, "") }
    }
}

func findOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
    for directory in path.split(separator: ":") {
        let candidate = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}
