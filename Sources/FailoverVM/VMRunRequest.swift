/// What to run inside the guest, and how to boot it.
public struct VMRunRequest: Sendable {
    /// The kernel to boot.
    public var kernel: KernelImage
    /// The program and its arguments. `argv[0]` is an absolute path as seen in the guest,
    /// which shares the host's `/` read-only. The guest has its own tmpfs on `/tmp` and `/var/tmp`; host
    /// paths there that `argv[0]`, an argument or the working directory name are bound into it read-only
    /// (their first component below `/tmp`: a checkout in `/tmp/co` is visible as a whole).
    /// An argument (or environment value) equal to `VMRunRequest.acceleratorPlaceholder` is replaced by the
    /// resolved accelerator (`kvm` or `tcg`); the guest also gets `FAILOVER_VM_ACCELERATOR`.
    public var argv: [String]
    /// The complete environment of the program (nothing is inherited). `PATH` defaults to
    /// `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` when absent.
    public var environment: [String: String]
    /// The working directory (same absolute path inside the guest).
    public var workingDirectory: String
    /// Host directories shared read-write at the same absolute path (they must exist).
    public var writableDirectories: [String]
    /// Host-side limit for the whole VM run; qemu is killed by PID when exceeded.
    public var timeout: Duration
    /// The accelerator; `.auto` probes KVM once per process and falls back to TCG.
    public var accelerator: Accelerator
    /// Guest memory.
    public var memoryMiB: Int
    /// Guest CPUs (`tsc=reliable` is added for 2 or more).
    public var cpus: Int

    /// Replaced in `argv` and environment values by the resolved accelerator's raw value.
    public static let acceleratorPlaceholder = "@ACCELERATOR@"

    /// The request with `acceleratorPlaceholder` replaced and `FAILOVER_VM_ACCELERATOR` set.
    public func resolvingPlaceholders(accelerator: Accelerator) -> VMRunRequest {
        var copy = self
        let name = accelerator.rawValue
        copy.argv = argv.map { $0 == Self.acceleratorPlaceholder ? name : $0 }
        copy.environment = environment.mapValues { $0 == Self.acceleratorPlaceholder ? name : $0 }
        copy.environment["FAILOVER_VM_ACCELERATOR"] = name
        return copy
    }

    /// Creates a request.
    public init(
        kernel: KernelImage, argv: [String], environment: [String: String] = [:], workingDirectory: String = "/",
        writableDirectories: [String] = [], timeout: Duration = .seconds(120), accelerator: Accelerator = .auto,
        memoryMiB: Int = 512, cpus: Int = 1
    ) {
        self.kernel = kernel
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.writableDirectories = writableDirectories
        self.timeout = timeout
        self.accelerator = accelerator
        self.memoryMiB = memoryMiB
        self.cpus = cpus
    }
}

/// The outcome of a VM run whose command finished (a non-zero exit is a result, not an error).
public struct VMRunResult: Sendable, Equatable {
    /// The command's exit status inside the guest.
    public var exitCode: Int32
    /// The accelerator actually used (`.kvm` or `.tcg`).
    public var accelerator: Accelerator
    /// From starting qemu to the guest starting the command.
    public var bootToCommand: Duration
    /// From starting qemu to qemu's exit.
    public var total: Duration
    /// The guest kernel release.
    public var kernelRelease: String

    /// Creates a result.
    public init(
        exitCode: Int32, accelerator: Accelerator, bootToCommand: Duration, total: Duration, kernelRelease: String
    ) {
        self.exitCode = exitCode
        self.accelerator = accelerator
        self.bootToCommand = bootToCommand
        self.total = total
        self.kernelRelease = kernelRelease
    }
}

/// Which guest stream a line of output came from.
public enum VMOutputStream: String, Sendable, Equatable {
    /// The command's stdout (first serial port, also the kernel console).
    case stdout
    /// The command's stderr (second serial port).
    case stderr
}

/// One line of guest output, CR and LF stripped.
public struct VMOutputLine: Sendable, Equatable {
    /// The stream.
    public var stream: VMOutputStream
    /// The text, without line terminator.
    public var text: String

    /// Creates a line.
    public init(stream: VMOutputStream, text: String) {
        self.stream = stream
        self.text = text
    }
}
