/// Boot files of a kernel release, cached: the uncompressed `vmlinux` and the initramfs.
public struct PreparedKernel: Sendable, Equatable {
    /// The kernel these files were made from.
    public var kernel: KernelImage
    /// The uncompressed ELF kernel (PVH entry).
    public var vmlinuxPath: String
    /// The newc cpio initramfs (busybox + 9p module chain + init scripts).
    public var initramfsPath: String
    /// Whether `prepare` had to build the files (false when the cache was valid).
    public var rebuilt: Bool

    /// Creates a value.
    public init(kernel: KernelImage, vmlinuxPath: String, initramfsPath: String, rebuilt: Bool) {
        self.kernel = kernel
        self.vmlinuxPath = vmlinuxPath
        self.initramfsPath = initramfsPath
        self.rebuilt = rebuilt
    }
}
