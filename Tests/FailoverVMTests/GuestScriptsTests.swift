import Foundation
import Testing

@testable import FailoverVM

@Suite("Guest scripts")
struct GuestScriptsTests {
    @Test("init: modules in order, host root read-only over 9p, tmpfs, job share, switch_root")
    func initScript() throws {
        let script = GuestScripts.initScript(modules: ["virtio_ring.ko", "virtio.ko", "9p.ko"])
        #expect(script.hasPrefix("#!/bin/busybox sh\n"))
        #expect(script.contains("for m in 'virtio_ring.ko' 'virtio.ko' '9p.ko'; do $B insmod \"/lib/modules/$m\""))
        #expect(script.contains("mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose"))
        #expect(script.contains("fo_root $N"))
        for directory in ["$N/run", "$N/tmp", "$N/var/tmp"] {
            #expect(script.contains("tmpfs \(directory)"), "tmpfs on \(directory)")
        }
        #expect(script.contains("mount -t proc proc $N/proc"))
        #expect(script.contains("mount -t devtmpfs devtmpfs $N/dev"))
        #expect(script.contains("fo_job $N/run/fo/job"))
        #expect(script.contains("exec $B switch_root $N /run/fo/busybox sh /run/fo/stage2"))
        #expect(!script.contains("chroot"))
        #expect(script.contains("*\" fo.probe=1 \"*) echo \"@@fo-vm:probe@@\"; fo_exit 0;;"))
        #expect(script.contains("fo_exit 112"))
        // The probe check comes before module loading, so a probe boot is as short as possible.
        let probe = try #require(script.range(of: "fo.probe=1"))
        let insmod = try #require(script.range(of: "insmod"))
        #expect(probe.lowerBound < insmod.lowerBound)
    }

    @Test("init: host /tmp and /var/tmp bound aside before the tmpfs covers them; binds before writable shares")
    func initBinds() throws {
        let script = GuestScripts.initScript(modules: ["9p.ko"])
        let aside = try #require(script.range(of: "mount -o bind $N/tmp /fo-host/tmp"))
        let tmpfs = try #require(script.range(of: "tmpfs $N/tmp"))
        #expect(aside.lowerBound < tmpfs.lowerBound)
        let binds = try #require(script.range(of: "done < $N/run/fo/job/binds"))
        let mounts = try #require(script.range(of: "done < $N/run/fo/job/mounts"))
        #expect(tmpfs.lowerBound < binds.lowerBound)
        #expect(binds.lowerBound < mounts.lowerBound)
        #expect(script.contains("$B mount -o bind \"/fo-host$p\" \"$N$p\" || die \"bind host $p\""))
        #expect(GuestScripts.bindsFile(["/tmp/a", "/var/tmp/b c"]) == "/tmp/a\n/var/tmp/b c\n")
    }

    @Test("binds: first component below /tmp or /var/tmp of argv[0], existing arguments and the cwd")
    func hostPathsToBind() {
        let existing: [String: String] = [
            "/tmp/co": "/tmp/co", "/tmp/co/.build/debug/failover": "/tmp/co/.build/debug/failover",
            "/tmp/co/Playbooks/seed-001": "/tmp/co/Playbooks/seed-001", "/tmp/one.yaml": "/tmp/one.yaml",
            "/usr/bin/env": "/usr/bin/env", "/work/link": "/var/tmp/real/x", "/tmp": "/tmp",
        ]
        let binds = GuestScripts.hostPathsToBind(
            argv: [
                "/tmp/co/.build/debug/failover", "run", "Playbooks/seed-001", "/tmp/one.yaml", "/work/link", "/tmp",
            ],
            workingDirectory: "/tmp/co", resolve: { existing[$0] })
        #expect(binds == ["/tmp/co", "/tmp/one.yaml", "/var/tmp/real"])
        // Nothing below a temporary directory: nothing to bind; the cwd /tmp itself stays the guest's tmpfs.
        #expect(
            GuestScripts.hostPathsToBind(
                argv: ["/usr/bin/env", "run"], workingDirectory: "/tmp", resolve: { existing[$0] }
            ).isEmpty)
    }

    @Test("stage 2: marker, stdout/stderr on two serial ports, exit code file, debug exit")
    func stage2() {
        let script = GuestScripts.stage2Script()
        #expect(script.contains("echo \"@@fo-vm:start@@\" >/dev/ttyS0"))
        #expect(script.contains("$B sh $J/command </dev/null >/dev/ttyS0 2>$E"))
        #expect(script.contains("$J/exit-code.tmp && $B mv $J/exit-code.tmp $J/exit-code"))
        #expect(script.contains("dd of=/dev/port bs=1 seek=244 count=1"))
        #expect(script.contains("$B reboot -f"))
    }

    @Test("command: cd, exec with exactly the environment (sorted, default PATH), quoted argv")
    func command() throws {
        let script = try GuestScripts.commandScript(
            argv: ["/usr/bin/printf", "%s\\n", "it's", "a b"], environment: ["B": "2", "A": "x y"],
            workingDirectory: "/work/my dir")
        #expect(
            script == """
                cd -- '/work/my dir' || exit 125
                exec /run/fo/busybox env -i 'A=x y' 'B=2' 'PATH=\(GuestScripts.defaultPath)' '/usr/bin/printf' '%s\\n' 'it'\\''s' 'a b'

                """)
    }

    @Test(
        "command: rejects a relative program, '=' in argv[0], bad env names, relative cwd",
        arguments: [
            (["ls"], ["A": "1"], "/"), (["/bin/a=b"], [:], "/"), (["/bin/true"], ["A=B": "1"], "/"),
            (["/bin/true"], ["": "1"], "/"), (["/bin/true"], [:], "relative"), ([], [:], "/"),
        ] as [([String], [String: String], String)])
    func rejects(argv: [String], environment: [String: String], cwd: String) {
        #expect {
            try GuestScripts.commandScript(argv: argv, environment: environment, workingDirectory: cwd)
        } throws: { ($0 as? VMError)?.code == .invalidRequest }
    }

    @Test("shell quoting survives a real sh")
    func quotingRoundTrip() throws {
        let words = ["plain", "it's", "\"double\"", "$HOME `x` \\n", "new\nline", "", "'"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "printf '%s\\0' " + words.map(GuestScripts.shellQuote).joined(separator: " ")]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let decoded = data.split(separator: 0, omittingEmptySubsequences: false).dropLast()
            .map { String(decoding: $0, as: UTF8.self) }
        #expect(decoded == words)
    }

    @Test("mounts file: one tag and path per line")
    func mounts() {
        #expect(
            GuestScripts.mountsFile([("fo_rw0", "/a b"), ("fo_rw1", "/c")]) == "fo_rw0 /a b\nfo_rw1 /c\n")
        #expect(GuestScripts.mountsFile([]) == "")
    }
}

@Suite("initramfs cpio")
struct CPIOArchiveTests {
    @Test("newc headers, 4-byte alignment, trailer")
    func layout() throws {
        var archive = CPIOArchive()
        archive.addDirectory("bin")
        archive.addFile("init", contents: Array("#!/bin/sh\n".utf8), mode: 0o755)
        archive.addCharacterDevice("dev/console", major: 5, minor: 1)
        archive.finish()
        let bytes = archive.bytes
        #expect(bytes.count % 4 == 0)
        #expect(Array(bytes.prefix(6)) == Array("070701".utf8))
        let text = String(decoding: bytes.map { $0 == 0 ? UInt8(ascii: ".") : $0 }, as: UTF8.self)
        // First header: inode 1, mode 040755, nlink 2, namesize 4 ("bin" + NUL).
        #expect(text.hasPrefix("07070100000001000041ED0000000000000000000000020000000000000000"))
        #expect(text.contains("000081ED"))  // regular file 0755
        #expect(text.contains("000021800000000000000000000000010000000000000000000000000000000000000005"))
        #expect(text.contains("TRAILER!!!"))
    }

    @Test("busybox cpio lists and extracts what we wrote")
    func extract() throws {
        var archive = CPIOArchive()
        archive.addDirectory("lib")
        archive.addFile("lib/a.ko", contents: [1, 2, 3, 4, 5])
        archive.addFile("init", contents: Array("echo hi\n".utf8), mode: 0o755)
        archive.finish()
        let directory = FileManager.default.temporaryDirectory.path + "/fo-vm-cpio-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/busybox")
        process.arguments = ["cpio", "-i", "-d"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let input = Pipe()
        process.standardInput = input
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data(archive.bytes))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(FileManager.default.contents(atPath: directory + "/lib/a.ko") == Data([1, 2, 3, 4, 5]))
        #expect(FileManager.default.contents(atPath: directory + "/init") == Data("echo hi\n".utf8))
        #expect(FileManager.default.isExecutableFile(atPath: directory + "/init"))
    }
}

@Suite("Process plumbing")
struct ProcessPlumbingTests {
    @Test("default cache directory honours XDG_CACHE_HOME")
    func cacheDirectory() {
        #expect(KernelLab.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "/x/cache"]) == "/x/cache/failover/vm")
        #expect(KernelLab.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "relative"]) != "relative/failover/vm")
    }
}
