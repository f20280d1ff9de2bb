import Testing

@testable import FailoverVM

@Suite("qemu command line")
struct QEMUCommandTests {
    func command(_ accelerator: Accelerator) -> QEMUCommand {
        QEMUCommand(
            vmlinuxPath: "/var/cache/failover/vm/6.1/vmlinux",
            initramfsPath: "/var/cache/failover/vm/6.1/initramfs.cpio",
            kernelParameters: ["console=ttyS0", "tsc_early_khz=2445404"], accelerator: accelerator, memoryMiB: 768,
            cpus: 2, jobDirectory: "/tmp/failover-vm-abc",
            writableShares: [.init(tag: "fo_rw0", path: "/work/Results/a,b")])
    }

    /// The value following `option` each time it appears.
    func values(_ argv: [String], _ option: String) -> [String] {
        argv.indices.filter { argv[$0] == option && $0 + 1 < argv.count }.map { argv[$0 + 1] }
    }

    @Test("TCG: microvm, -cpu max, kernel, initrd, append, memory, cpus, no reboot")
    func tcg() {
        let argv = command(.tcg).argv
        #expect(argv.first == "/usr/bin/qemu-system-x86_64")
        #expect(values(argv, "-machine") == ["microvm,x-option-roms=off,pit=off,pic=off,rtc=on,isa-serial=on"])
        #expect(values(argv, "-accel") == ["tcg"])
        #expect(values(argv, "-cpu") == ["max"])
        #expect(values(argv, "-kernel") == ["/var/cache/failover/vm/6.1/vmlinux"])
        #expect(values(argv, "-initrd") == ["/var/cache/failover/vm/6.1/initramfs.cpio"])
        #expect(values(argv, "-append") == ["console=ttyS0 tsc_early_khz=2445404"])
        #expect(values(argv, "-m") == ["768"])
        #expect(values(argv, "-smp") == ["2"])
        #expect(argv.contains("-no-reboot") && argv.contains("-nodefaults"))
        #expect(values(argv, "-device").contains("isa-debug-exit,iobase=0xf4,iosize=0x04"))
    }

    @Test("KVM uses -cpu host")
    func kvm() {
        let argv = command(.kvm).argv
        #expect(values(argv, "-accel") == ["kvm"])
        #expect(values(argv, "-cpu") == ["host"])
    }

    @Test("shares: root read-only, job and writable read-write, commas escaped")
    func shares() {
        let argv = command(.tcg).argv
        #expect(
            values(argv, "-fsdev") == [
                "local,id=fo_root,path=/,security_model=none,readonly=on,multidevs=remap",
                "local,id=fo_job,path=/tmp/failover-vm-abc,security_model=none",
                "local,id=fo_rw0,path=/work/Results/a,,b,security_model=none",
            ])
        let devices = values(argv, "-device")
        #expect(devices.contains("virtio-9p-device,fsdev=fo_root,mount_tag=fo_root"))
        #expect(devices.contains("virtio-9p-device,fsdev=fo_job,mount_tag=fo_job"))
        #expect(devices.contains("virtio-9p-device,fsdev=fo_rw0,mount_tag=fo_rw0"))
    }

    @Test("stdout on the first serial port, stderr on a second one at 0x2f8 fed to fd 3")
    func serialPorts() {
        var command = command(.tcg)
        var argv = command.argv
        #expect(values(argv, "-serial") == ["chardev:fo_con"])
        #expect(values(argv, "-chardev") == ["stdio,id=fo_con,signal=off", "file,id=fo_err,path=/dev/fd/3"])
        #expect(values(argv, "-device").contains("isa-serial,chardev=fo_err,iobase=0x2f8,irq=3"))
        command.guestStderrDescriptor = nil
        command.jobDirectory = nil
        command.writableShares = []
        argv = command.argv
        #expect(values(argv, "-chardev") == ["stdio,id=fo_con,signal=off"])
        #expect(values(argv, "-fsdev").count == 1)
    }

    @Test("option values escape commas")
    func escaping() {
        #expect(QEMUCommand.escapeOptionValue("/a,b,,c") == "/a,,b,,,,c")
        #expect(QEMUCommand.escapeOptionValue("/plain") == "/plain")
    }
}

@Suite("Kernel command line and TSC")
struct KernelCommandLineTests {
    @Test("tsc_early_khz when given, tsc=reliable only for 2+ CPUs, probe flag")
    func parameters() {
        let one = KernelCommandLine.parameters(tscKHz: 2_445_404, cpus: 1)
        #expect(one.contains("tsc_early_khz=2445404"))
        #expect(!one.contains("tsc=reliable"))
        #expect(one.contains("console=ttyS0") && one.contains("quiet") && one.contains("loglevel=1"))
        #expect(!one.contains("fo.probe=1"))
        #expect(one.contains("cryptomgr.notests"))
        #expect(one.contains { $0.hasPrefix("initcall_blacklist=") && $0.contains("jent_mod_init") })
        let two = KernelCommandLine.parameters(tscKHz: nil, cpus: 2, probe: true)
        #expect(!two.contains { $0.hasPrefix("tsc_early_khz") })
        #expect(two.contains("tsc=reliable"))
        #expect(two.contains("fo.probe=1"))
    }

    @Test("kernel log: the refined calibration wins over the early detection")
    func kernelLog() {
        let log = """
            [Firmware Bug]: TSC doesn't count with P0 frequency!
            tsc: Detected 2445.404 MHz processor
            clocksource: tsc-early: mask: 0xffffffffffffffff
            tsc: Refined TSC clocksource calibration: 2445.399 MHz
            """
        #expect(TSCFrequency.parseKernelLog(log) == 2_445_399)
        #expect(TSCFrequency.parseKernelLog("tsc: Detected 3000 MHz processor\n") == 3_000_000)
        #expect(TSCFrequency.parseKernelLog("nothing here\n") == nil)
    }

    @Test("cpuinfo: cpu MHz counts only with constant_tsc")
    func cpuinfo() {
        let constant = "processor\t: 0\ncpu MHz\t\t: 2445.4\nflags\t\t: fpu tsc constant_tsc nonstop_tsc\n"
        #expect(TSCFrequency.parseCPUInfo(constant) == 2_445_400)
        let variable = "processor\t: 0\ncpu MHz\t\t: 1200.000\nflags\t\t: fpu tsc\n"
        #expect(TSCFrequency.parseCPUInfo(variable) == nil)
    }

    @Test("MHz text to kHz", arguments: [("2445.404 MHz", 2_445_404), ("2445.4", 2_445_400), ("100", 100_000)])
    func megahertz(text: String, expected: Int) {
        #expect(TSCFrequency.megahertzToKHz(Substring(text)) == expected)
    }

    @Test("this host yields a plausible TSC frequency")
    func host() throws {
        let khz = try TSCFrequency.hostKHz()
        #expect(khz > 100_000 && khz < 10_000_000)
    }
}
