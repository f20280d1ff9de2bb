internal import CNetShims
import Foundation

/// The shell scripts that run inside the guest (busybox `sh`).
///
/// Stage 1 (`/init` in the initramfs) loads the 9p module chain, mounts the host's `/` read-only at
/// `/newroot`, puts tmpfs on `/run`, `/tmp`, `/var/tmp`, mounts the job share, binds the host paths
/// below `/tmp` and `/var/tmp` that the command needs (`binds`, read-only), the writable shares,
/// copies busybox and stage 2 into `/run/fo`, and `switch_root`s (so module autoload's
/// `/sbin/modprobe` runs in the host tree). Stage 2 runs the job's `command` file with stdout on
/// `ttyS0` and stderr on `ttyS1`, writes the exit status to the job share, and ends qemu through
/// `isa-debug-exit` (port 0xf4), falling back to `reboot -f` with qemu's `-no-reboot`.
public enum GuestScripts {
    /// Bumped whenever the scripts change, so cached initramfs images are rebuilt.
    public static let formatVersion = 2
    /// Printed on stdout just before the command starts (stripped from the output).
    public static let startMarker = "@@fo-vm:start@@"
    /// Printed by a probe boot (`fo.probe=1` on the kernel command line).
    public static let probeMarker = "@@fo-vm:probe@@"
    /// The 9p mount tag of the host's `/`.
    public static let rootTag = "fo_root"
    /// The 9p mount tag of the per-run job directory.
    public static let jobTag = "fo_job"
    /// Where the job share is mounted in the guest.
    public static let guestJobDirectory = "/run/fo/job"
    /// The debug-exit value stage 1 uses when guest setup fails (qemu exits with 2 × 112 + 1 = 225).
    public static let setupFailureCode = 112
    /// The PATH used when the request's environment has none.
    public static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    private static let exitFunction = """
        fo_exit() {
          printf "\\\\$(printf %03o "$1")" | $B dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
          $B reboot -f
        }
        """

    /// The initramfs `/init`, loading `modules` (file names in `/lib/modules`, in order).
    public static func initScript(modules: [String]) -> String {
        let moduleList = modules.map { shellQuote($0) }.joined(separator: " ")
        return """
            #!/bin/busybox sh
            # failover kernel lab, stage 1 (format \(formatVersion))
            B=/bin/busybox
            \(exitFunction)
            die() { echo "failover-vm: setup failed: $*" >/dev/console; fo_exit \(setupFailureCode); }
            $B mount -t proc proc /proc
            $B mount -t devtmpfs devtmpfs /dev
            case " $($B cat /proc/cmdline) " in *" fo.probe=1 "*) echo "\(probeMarker)"; fo_exit 0;; esac
            $B mount -t sysfs sysfs /sys
            for m in \(moduleList); do $B insmod "/lib/modules/$m" || die "insmod $m"; done
            N=/newroot
            $B mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 \(rootTag) $N \\
              || die "mount host root"
            # The host's /tmp and /var/tmp stay reachable (read-only) for the binds below.
            $B mkdir -p /fo-host/tmp /fo-host/var/tmp
            $B mount -o bind $N/tmp /fo-host/tmp || die "bind host /tmp"
            [ -d $N/var/tmp ] && { $B mount -o bind $N/var/tmp /fo-host/var/tmp || die "bind host /var/tmp"; }
            $B mount -t tmpfs -o mode=0755 tmpfs $N/run || die "tmpfs /run"
            $B mount -t tmpfs -o mode=1777 tmpfs $N/tmp || die "tmpfs /tmp"
            [ -d $N/var/tmp ] && { $B mount -t tmpfs -o mode=1777 tmpfs $N/var/tmp || die "tmpfs /var/tmp"; }
            $B mount -t proc proc $N/proc || die "proc"
            $B mount -t sysfs sysfs $N/sys || die "sysfs"
            $B mount -t devtmpfs devtmpfs $N/dev || die "devtmpfs"
            $B mkdir -p $N/dev/pts $N/dev/shm
            $B mount -t devpts devpts $N/dev/pts
            $B mount -t tmpfs -o mode=1777 tmpfs $N/dev/shm
            $B mkdir -p $N\(guestJobDirectory) $N/run/netns
            $B mount -t 9p -o trans=virtio,version=9p2000.L,rw \(jobTag) $N\(guestJobDirectory) || die "mount job share"
            while IFS= read -r p; do
              if [ -d "/fo-host$p" ]; then $B mkdir -p "$N$p"; else $B mkdir -p "$N${p%/*}" && $B touch "$N$p"; fi \
                && $B mount -o bind "/fo-host$p" "$N$p" || die "bind host $p"
            done < $N\(guestJobDirectory)/binds
            while IFS= read -r line; do
              tag=${line%% *}; dir=${line#* }
              $B mkdir -p "$N$dir" && $B mount -t 9p -o trans=virtio,version=9p2000.L,rw "$tag" "$N$dir" \\
                || die "mount $dir"
            done < $N\(guestJobDirectory)/mounts
            $B cp $B $N/run/fo/busybox && $B cp /stage2 $N/run/fo/stage2 || die "copy stage 2"
            exec $B switch_root $N /run/fo/busybox sh /run/fo/stage2
            die "switch_root"

            """
    }

    /// Stage 2, run as PID 1 in the host tree by the copied busybox.
    public static func stage2Script() -> String {
        """
        # failover kernel lab, stage 2 (format \(formatVersion))
        B=/run/fo/busybox
        J=\(guestJobDirectory)
        \(exitFunction)
        export PATH=\(defaultPath)
        $B hostname failover-vm
        $B ip link set lo up 2>/dev/null
        $B stty -F /dev/ttyS0 -onlcr 2>/dev/null
        E=/dev/ttyS1
        $B stty -F $E -onlcr 2>/dev/null || E=/dev/ttyS0
        echo "\(startMarker)" >/dev/ttyS0
        $B sh $J/command </dev/null >/dev/ttyS0 2>$E
        rc=$?
        echo "$rc" >$J/exit-code.tmp && $B mv $J/exit-code.tmp $J/exit-code
        $B sync
        v=$rc; [ "$v" -gt 111 ] && v=111
        fo_exit "$v"

        """
    }

    /// The per-run `command` file: enter the working directory, then exec argv with exactly `environment`.
    /// - Throws: `VMError` `.invalidRequest` for an empty or relative argv[0], a `=` in argv[0], a NUL anywhere,
    ///   or an environment name that is empty or contains `=`.
    public static func commandScript(
        argv: [String], environment: [String: String], workingDirectory: String
    ) throws -> String {
        guard let program = argv.first, program.hasPrefix("/"), !program.contains("=") else {
            throw VMError(.invalidRequest, operation: "build guest command", object: argv.first ?? "<empty argv>")
        }
        guard workingDirectory.hasPrefix("/") else {
            throw VMError(
                .invalidRequest, operation: "build guest command (working directory)", object: workingDirectory)
        }
        var env = environment
        if env["PATH"] == nil { env["PATH"] = defaultPath }
        for (name, value) in env {
            guard !name.isEmpty, !name.contains("="), !name.contains("\0"), !value.contains("\0") else {
                throw VMError(.invalidRequest, operation: "build guest command (environment)", object: name)
            }
        }
        if let bad = argv.first(where: { $0.contains("\0") }) {
            throw VMError(.invalidRequest, operation: "build guest command (NUL in argument)", object: bad)
        }
        let assignments = env.keys.sorted().map { shellQuote("\($0)=\(env[$0] ?? "")") }
        let words = ["exec", "/run/fo/busybox", "env", "-i"] + assignments + argv.map(shellQuote)
        return """
            cd -- \(shellQuote(workingDirectory)) || exit 125
            \(words.joined(separator: " "))

            """
    }

    /// The per-run `mounts` file: one `tag path` line per writable share.
    public static func mountsFile(_ shares: [(tag: String, path: String)]) -> String {
        shares.map { "\($0.tag) \($0.path)\n" }.joined()
    }

    /// The per-run `binds` file: one host path a line (each below `/tmp` or `/var/tmp`).
    public static func bindsFile(_ paths: [String]) -> String {
        paths.map { "\($0)\n" }.joined()
    }

    /// Directories that the guest covers with an empty tmpfs; host paths below them are invisible there
    /// unless bound (`binds`).
    public static let guestTemporaryDirectories = ["/tmp", "/var/tmp"]

    /// The host paths the guest must bind so that `argv[0]`, the working directory and every argument
    /// that names an existing host path are visible: for each such path below `/tmp` or `/var/tmp`
    /// (as given, and with symbolic links resolved), its first component there (`/tmp/co/.build/x` binds
    /// `/tmp/co`). A path that is a temporary directory itself binds nothing (its tmpfs stays writable).
    /// - Parameter resolve: the path with symbolic links resolved, or nil when it does not exist.
    public static func hostPathsToBind(
        argv: [String], workingDirectory: String, resolve: (String) -> String?
    ) -> [String] {
        var result: [String] = []
        let candidates = [workingDirectory] + argv.map { $0.hasPrefix("/") ? $0 : workingDirectory + "/" + $0 }
        for candidate in candidates {
            guard let resolved = resolve(candidate) else { continue }
            for path in [candidate, resolved] {
                for base in guestTemporaryDirectories where path.hasPrefix(base + "/") {
                    guard let first = path.dropFirst(base.count + 1).split(separator: "/").first,
                        first != ".", first != ".."
                    else { continue }
                    let bind = base + "/" + first
                    if !result.contains(bind), !bind.contains("\n") { result.append(bind) }
                }
            }
        }
        return result
    }

    /// Quotes `text` as one word for POSIX sh (single quotes; `'` becomes `'\''`).
    public static func shellQuote(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
