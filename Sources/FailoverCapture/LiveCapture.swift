internal import CPcap
import FailoverSystem
public import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A capture failed: what was attempted, on which interface of which namespace, libpcap's message.
public struct CaptureError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `pcap_create`, `pcap_activate`, `pcap_compile`, `pcap_setfilter`, `setns`, …
    public var operation: String
    public var interface: String
    /// The namespace name, nil for the caller's own.
    public var namespace: String?
    /// libpcap's error text (pcap_geterr / pcap_statustostr / the errbuf) or the system error.
    public var message: String

    public init(operation: String, interface: String, namespace: String?, message: String) {
        self.operation = operation
        self.interface = interface
        self.namespace = namespace
        self.message = message
    }

    /// `pcap_compile ns1/eth0: filter "arp or": syntax error`.
    public var description: String {
        "\(operation) \(namespace.map { "\($0)/" } ?? "")\(interface): \(message)"
    }
}

/// One captured frame: its stamps on both clocks, its length on the wire and the captured bytes.
public struct CapturedFrame: Sendable, Hashable {
    /// The capture's own stamp converted with the capture's `ClockMapping`.
    public var monotonicNanoseconds: UInt64
    /// libpcap's stamp (CLOCK_REALTIME, nanosecond precision).
    public var realtimeNanoseconds: UInt64
    public var originalLength: Int
    public var bytes: [UInt8]

    public init(monotonicNanoseconds: UInt64, realtimeNanoseconds: UInt64, originalLength: Int, bytes: [UInt8]) {
        self.monotonicNanoseconds = monotonicNanoseconds
        self.realtimeNanoseconds = realtimeNanoseconds
        self.originalLength = originalLength
        self.bytes = bytes
    }

    /// The decoded frame (nil when shorter than an Ethernet header).
    public var decoded: DecodedFrame? { FrameDecoder.decode(bytes) }
}

/// What a capture counted. Any drop means the captured list is incomplete: verdicts built on it
/// are errored, never passed or failed.
public struct CaptureStatistics: Sendable, Hashable, Codable {
    /// pcap_stats ps_recv: frames that passed the filter, including those the kernel then dropped
    /// (the kernel's tp_packets counts both). Frames arriving between the last read and pcap_stats
    /// are counted here but not delivered, so received ≥ delivered + droppedByKernel is normal.
    public var received: UInt64
    /// pcap_stats ps_drop: frames the kernel dropped because the socket's ring was full.
    public var droppedByKernel: UInt64
    /// Receive FIFO errors of the interface over the capture (`/proc/thread-self/net/dev` read
    /// inside the capture's namespace at start and stop). libpcap's own ps_ifdrop is not used: it
    /// reads /sys/class/net/IF, i.e. the interface of that name in the namespace /sys was mounted
    /// from, not the captured one.
    public var droppedByInterface: UInt64
    /// Frames handed out by the read loop.
    public var delivered: Int
    /// The realtime→monotonic conversion error bound (the bracket width at start), ns.
    public var clockErrorNanoseconds: UInt64
    /// How far the realtime−monotonic offset moved between start and stop, ns (a realtime step).
    public var clockDriftNanoseconds: Int64

    public init(
        received: UInt64, droppedByKernel: UInt64, droppedByInterface: UInt64, delivered: Int,
        clockErrorNanoseconds: UInt64, clockDriftNanoseconds: Int64
    ) {
        self.received = received
        self.droppedByKernel = droppedByKernel
        self.droppedByInterface = droppedByInterface
        self.delivered = delivered
        self.clockErrorNanoseconds = clockErrorNanoseconds
        self.clockDriftNanoseconds = clockDriftNanoseconds
    }

    /// A frame was lost: by the kernel (the socket's ring was full) or by the interface.
    public var hasDrops: Bool { droppedByKernel > 0 || droppedByInterface > 0 }
}

/// What to capture: one interface inside a namespace, and how.
public struct CaptureRequest: Sendable, Hashable {
    /// The namespace (/run/netns/NAME); nil for the caller's own.
    public var namespace: String?
    public var interface: String
    /// The name in reports and the pcapng interface block: the topology role, `sw1:server-eth1`.
    public var label: String
    /// A BPF filter expression compiled by libpcap; empty captures everything.
    public var filter: String
    public var snapLength: Int
    /// The kernel ring size (pcap_set_buffer_size), bytes.
    public var bufferBytes: Int

    public init(
        namespace: String?, interface: String, label: String, filter: String = "", snapLength: Int = 256,
        bufferBytes: Int = 4 << 20
    ) {
        self.namespace = namespace
        self.interface = interface
        self.label = label
        self.filter = filter
        self.snapLength = snapLength
        self.bufferBytes = bufferBytes
    }
}

/// The outcome of a stopped capture.
public struct CaptureResult: Sendable, Hashable {
    public var request: CaptureRequest
    public var frames: [CapturedFrame]
    public var statistics: CaptureStatistics
    public var clock: ClockMapping

    public init(request: CaptureRequest, frames: [CapturedFrame], statistics: CaptureStatistics, clock: ClockMapping) {
        self.request = request
        self.frames = frames
        self.statistics = statistics
        self.clock = clock
    }
}

/// A live libpcap capture of one interface inside a network namespace.
///
/// The handle is created and activated on a `NamespaceThread` that entered the namespace, so the
/// packet socket is opened (and bound to the interface) there; a dedicated reader thread then
/// polls libpcap's selectable descriptor (100 ms) and runs `pcap_dispatch` in non-blocking mode,
/// immediate mode on, nanosecond stamps. `stop()` ends the loop, drains what is left, reads the
/// statistics and closes the handle (inside the namespace again).
public final class LiveCapture: Sendable {
    public let request: CaptureRequest
    public let clock: ClockMapping
    private let handle: Handle
    private let sink: Sink
    private let reader: NamespaceThread.JoinHandle
    private let interfaceDropsAtStart: UInt64
    private let logger: Logger
    private let result = Mutex<CaptureResult?>(nil)

    /// libpcap's handle, used by one thread at a time: the reader until it is joined, then `stop`.
    final class Handle: @unchecked Sendable {
        let pointer: OpaquePointer
        /// Held around every libpcap call on the handle from another thread than the reader's
        /// (`snapshot`'s pcap_stats, the reader's pcap_dispatch); true once the handle is closed.
        let access = Mutex<Bool>(false)
        init(_ pointer: OpaquePointer) { self.pointer = pointer }
    }

    /// What the namespace thread opened.
    struct Opened: Sendable {
        var handle: Handle
        var dropsAtStart: UInt64
    }

    /// Where the dispatch callback puts frames; also the reader's stop flag.
    final class Sink: Sendable {
        let frames = Mutex<[CapturedFrame]>([])
        let stopping = Atomic<Bool>(false)
        let failure = Mutex<String?>(nil)
        let clock: ClockMapping
        init(clock: ClockMapping) { self.clock = clock }

        func append(_ header: pcap_pkthdr, _ data: UnsafePointer<UInt8>) {
            // Nanosecond precision: tv_usec holds nanoseconds.
            let realtime = UInt64(max(0, header.ts.tv_sec)) &* 1_000_000_000 &+ UInt64(max(0, header.ts.tv_usec))
            let frame = CapturedFrame(
                monotonicNanoseconds: clock.monotonic(fromRealtime: realtime), realtimeNanoseconds: realtime,
                originalLength: Int(header.len),
                bytes: Array(UnsafeBufferPointer(start: data, count: Int(header.caplen))))
            frames.withLock { $0.append(frame) }
        }
    }

    /// libpcap's message when it cannot compile `filter` for Ethernet, nil when it can. Needs no
    /// privileges and touches nothing: `pcap_open_dead(DLT_EN10MB, 262144)` + `pcap_compile`
    /// (the load-time check of `filter:` in playbooks).
    public static func filterProblem(_ filter: String) -> String? {
        guard let dead = pcap_open_dead(DLT_EN10MB, 262_144) else { return "pcap_open_dead: out of memory" }
        defer { pcap_close(dead) }
        var program = bpf_program()
        guard pcap_compile(dead, &program, filter, 1, 0xFFFF_FFFF) == 0 else {
            return String(cString: pcap_geterr(dead))
        }
        pcap_freecode(&program)
        return nil
    }

    /// Checks a filter expression without capturing (libpcap compiles it for Ethernet).
    /// - Throws: `CaptureError` (operation `pcap_compile`) with libpcap's message.
    public static func validateFilter(_ filter: String, label: String = "") throws(CaptureError) {
        guard let dead = pcap_open_dead(DLT_EN10MB, 65535) else {
            throw CaptureError(operation: "pcap_open_dead", interface: label, namespace: nil, message: "out of memory")
        }
        defer { pcap_close(dead) }
        try compile(dead, filter, interface: label, namespace: nil, install: false)
    }

    /// Opens and activates the capture, installs the filter, starts the reader thread.
    /// - Throws: `CaptureError` naming the failed call, the interface, the namespace and libpcap's text.
    public static func start(_ request: CaptureRequest, logger: Logger) throws(CaptureError) -> LiveCapture {
        let namespaceFD = try openNamespace(request)
        defer { if let namespaceFD { _ = close(namespaceFD) } }
        let opened: Opened
        do {
            opened = try NamespaceThread.run(namespaceFD: namespaceFD, label: request.label) {
                Opened(handle: try open(request), dropsAtStart: interfaceFIFOErrors(request.interface))
            }
        } catch let error as CaptureError {
            throw error
        } catch {
            throw CaptureError(
                operation: "namespace thread", interface: request.interface, namespace: request.namespace,
                message: "\(error)")
        }
        let handle = opened.handle
        let dropsAtStart = opened.dropsAtStart
        let clock = ClockMapping.measure()
        let sink = Sink(clock: clock)
        let fd = pcap_get_selectable_fd(handle.pointer)
        let reader: NamespaceThread.JoinHandle
        do {
            reader = try NamespaceThread.start(label: "capture \(request.label)") {
                readLoop(handle: handle, sink: sink, fd: fd)
            }
        } catch {
            closeHandle(handle, namespace: request.namespace)
            throw CaptureError(
                operation: "start reader", interface: request.interface, namespace: request.namespace,
                message: "\(error)")
        }
        logger.debug(
            "capture started",
            metadata: [
                "label": "\(request.label)", "filter": "\(request.filter)",
                "clock_bracket_ns": "\(clock.bracketNanoseconds)",
            ])
        return LiveCapture(
            request: request, clock: clock, handle: handle, sink: sink, reader: reader,
            interfaceDropsAtStart: dropsAtStart, logger: logger)
    }

    private init(
        request: CaptureRequest, clock: ClockMapping, handle: Handle, sink: Sink, reader: NamespaceThread.JoinHandle,
        interfaceDropsAtStart: UInt64, logger: Logger
    ) {
        self.request = request
        self.clock = clock
        self.handle = handle
        self.sink = sink
        self.reader = reader
        self.interfaceDropsAtStart = interfaceDropsAtStart
        self.logger = logger
    }

    /// The frames captured so far (a copy).
    public func frames() -> [CapturedFrame] { sink.frames.withLock { $0 } }

    /// The capture so far, without stopping it: the frames (after draining the kernel's ring), pcap_stats, the interface's drops and
    /// the realtime clock's move since the start (the stopped result once `stop` ran).
    public func snapshot() -> CaptureResult {
        if let done = result.withLock({ $0 }) { return done }
        var stats = pcap_stat()
        // Drain what the kernel has queued first: every frame stamped before this call is in the
        // result (the ring holds it from the instant it was stamped).
        let user = Unmanaged.passUnretained(sink).toOpaque().assumingMemoryBound(to: UInt8.self)
        let status = handle.access.withLock { closed -> Int32 in
            guard !closed else { return -1 }
            while pcap_dispatch(handle.pointer, -1, Self.callback, user) > 0 {}
            return pcap_stats(handle.pointer, &stats)
        }
        let frames = sink.frames.withLock { $0 }
        let drops = Self.interfaceDropsNow(request)
        let now = ClockMapping.measure(samples: 8)
        let statistics = CaptureStatistics(
            received: UInt64(stats.ps_recv),
            // An unreadable counter is not zero: count it as a drop so the check errors.
            droppedByKernel: status == 0 ? UInt64(stats.ps_drop) : 1,
            droppedByInterface: drops.map { $0 >= interfaceDropsAtStart ? $0 - interfaceDropsAtStart : 0 } ?? 0,
            delivered: frames.count, clockErrorNanoseconds: clock.bracketNanoseconds,
            clockDriftNanoseconds: now.offsetNanoseconds &- clock.offsetNanoseconds)
        return CaptureResult(request: request, frames: frames, statistics: statistics, clock: clock)
    }

    /// Stops the reader, drains the ring, reads the statistics and closes the handle. A second call
    /// returns the first call's result.
    /// - Throws: `CaptureError` when the read loop or pcap_stats failed.
    public func stop() throws(CaptureError) -> CaptureResult {
        if let done = result.withLock({ $0 }) { return done }
        sink.stopping.store(true, ordering: .releasing)
        reader.join()
        Self.drain(handle: handle, sink: sink)
        var stats = pcap_stat()
        let statsStatus = pcap_stats(handle.pointer, &stats)
        let statsError = statsStatus == 0 ? nil : String(cString: pcap_geterr(handle.pointer))
        let dropsAtStop = Self.interfaceDropsNow(request)
        handle.access.withLock { $0 = true }
        Self.closeHandle(handle, namespace: request.namespace)
        if let failure = sink.failure.withLock({ $0 }) {
            throw CaptureError(
                operation: "pcap_dispatch", interface: request.interface, namespace: request.namespace,
                message: failure)
        }
        if let statsError {
            throw CaptureError(
                operation: "pcap_stats", interface: request.interface, namespace: request.namespace,
                message: statsError)
        }
        let frames = sink.frames.withLock { $0 }
        let atStop = ClockMapping.measure()
        let statistics = CaptureStatistics(
            received: UInt64(stats.ps_recv), droppedByKernel: UInt64(stats.ps_drop),
            droppedByInterface: dropsAtStop.map { $0 >= interfaceDropsAtStart ? $0 - interfaceDropsAtStart : 0 }
                ?? 0,
            delivered: frames.count, clockErrorNanoseconds: clock.bracketNanoseconds,
            clockDriftNanoseconds: atStop.offsetNanoseconds &- clock.offsetNanoseconds)
        let outcome = CaptureResult(request: request, frames: frames, statistics: statistics, clock: clock)
        result.withLock { $0 = outcome }
        logger.debug(
            "capture stopped",
            metadata: [
                "label": "\(request.label)", "received": "\(statistics.received)",
                "dropped_kernel": "\(statistics.droppedByKernel)",
                "dropped_interface": "\(statistics.droppedByInterface)",
            ])
        return outcome
    }

    // MARK: - libpcap calls

    private static func openNamespace(_ request: CaptureRequest) throws(CaptureError) -> Int32? {
        guard let namespace = request.namespace else { return nil }
        do {
            return try NetworkNamespace.open(namespace)
        } catch {
            throw CaptureError(
                operation: "open namespace", interface: request.interface, namespace: namespace,
                message: "\(error)")
        }
    }

    /// pcap_create … pcap_activate, filter; runs inside the namespace.
    private static func open(_ request: CaptureRequest) throws(CaptureError) -> Handle {
        let fail = { (operation: String, message: String) in
            CaptureError(
                operation: operation, interface: request.interface, namespace: request.namespace, message: message)
        }
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let pointer = pcap_create(request.interface, &errorBuffer) else {
            throw fail("pcap_create", String(decoding: errorBuffer.prefix { $0 != 0 }.map(UInt8.init), as: UTF8.self))
        }
        let handle = Handle(pointer)
        let settings: [(String, Int32)] = [
            ("pcap_set_snaplen", pcap_set_snaplen(pointer, Int32(clamping: request.snapLength))),
            ("pcap_set_promisc", pcap_set_promisc(pointer, 1)),
            ("pcap_set_immediate_mode", pcap_set_immediate_mode(pointer, 1)),
            ("pcap_set_buffer_size", pcap_set_buffer_size(pointer, Int32(clamping: request.bufferBytes))),
            ("pcap_set_tstamp_precision", pcap_set_tstamp_precision(pointer, PCAP_TSTAMP_PRECISION_NANO)),
        ]
        for (operation, status) in settings where status != 0 {
            pcap_close(pointer)
            throw fail(operation, statusText(status, pointer))
        }
        let activation = pcap_activate(pointer)
        if activation < 0 {
            let text = statusText(activation, pointer)
            pcap_close(pointer)
            throw fail("pcap_activate", text)
        }
        do throws(CaptureError) {
            try compile(
                pointer, request.filter, interface: request.interface, namespace: request.namespace, install: true)
            if pcap_setnonblock(pointer, 1, &errorBuffer) != 0 {
                throw fail("pcap_setnonblock", String(cString: pcap_geterr(pointer)))
            }
        } catch {
            pcap_close(pointer)
            throw error
        }
        return handle
    }

    /// pcap_compile (+ pcap_setfilter when `install`); the error names the filter.
    private static func compile(
        _ pointer: OpaquePointer, _ filter: String, interface: String, namespace: String?, install: Bool
    ) throws(CaptureError) {
        var program = bpf_program()
        if pcap_compile(pointer, &program, filter, 1, 0xFFFF_FFFF) != 0 {
            throw CaptureError(
                operation: "pcap_compile", interface: interface, namespace: namespace,
                message: "filter \"\(filter)\": \(String(cString: pcap_geterr(pointer)))")
        }
        defer { pcap_freecode(&program) }
        if install && pcap_setfilter(pointer, &program) != 0 {
            throw CaptureError(
                operation: "pcap_setfilter", interface: interface, namespace: namespace,
                message: "filter \"\(filter)\": \(String(cString: pcap_geterr(pointer)))")
        }
    }

    /// PCAP_ERROR carries its text in pcap_geterr; the other codes have a fixed text.
    private static func statusText(_ status: Int32, _ pointer: OpaquePointer) -> String {
        let fixed = String(cString: pcap_statustostr(status))
        let detail = String(cString: pcap_geterr(pointer))
        return detail.isEmpty ? fixed : "\(fixed): \(detail)"
    }

    private static let callback: pcap_handler = { user, header, data in
        guard let user, let header, let data else { return }
        let sink = Unmanaged<Sink>.fromOpaque(UnsafeRawPointer(user)).takeUnretainedValue()
        sink.append(header.pointee, data)
    }

    /// Dispatches until nothing is left (non-blocking); false when libpcap reported an error.
    @discardableResult
    private static func drain(handle: Handle, sink: Sink) -> Bool {
        let user = Unmanaged.passUnretained(sink).toOpaque().assumingMemoryBound(to: UInt8.self)
        while true {
            let count = handle.access.withLock { _ in pcap_dispatch(handle.pointer, -1, callback, user) }
            if count == 0 { return true }
            if count < 0 {
                // -2 is pcap_breakloop, which we do not use; -1 an error.
                let text = String(cString: pcap_geterr(handle.pointer))
                sink.failure.withLock { $0 = $0 ?? text }
                return false
            }
        }
    }

    private static func readLoop(handle: Handle, sink: Sink, fd: Int32) {
        while !sink.stopping.load(ordering: .acquiring) {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 100)
            if ready < 0 && errno != EINTR {
                let code = errno
                sink.failure.withLock { $0 = $0 ?? "poll: \(SystemError.errnoText(code))" }
                return
            }
            if ready > 0 && !drain(handle: handle, sink: sink) { return }
        }
    }

    private static func closeHandle(_ handle: Handle, namespace: String?) {
        // pcap_close may undo interface settings through a socket of the calling thread: close
        // where the handle was opened.
        guard let namespace, let fd = try? NetworkNamespace.open(namespace) else {
            pcap_close(handle.pointer)
            return
        }
        defer { _ = close(fd) }
        do {
            try NamespaceThread.run(namespaceFD: fd, label: "pcap_close") { pcap_close(handle.pointer) }
        } catch {
            pcap_close(handle.pointer)
        }
    }

    private static func interfaceDropsNow(_ request: CaptureRequest) -> UInt64? {
        guard let namespace = request.namespace else { return interfaceFIFOErrors(request.interface) }
        guard let fd = try? NetworkNamespace.open(namespace) else { return nil }
        defer { _ = close(fd) }
        return try? NamespaceThread.run(namespaceFD: fd, label: "net/dev") { interfaceFIFOErrors(request.interface) }
    }

    /// The rx `fifo` column of `/proc/thread-self/net/dev` for `interface` (the calling thread's
    /// namespace), 0 when it is not listed.
    static func interfaceFIFOErrors(_ interface: String) -> UInt64 {
        guard let data = try? readSmallFile("/proc/thread-self/net/dev") else { return 0 }
        return NetDevTable.receiveFIFOErrors(String(decoding: data, as: UTF8.self), interface: interface) ?? 0
    }
}

/// The text of /proc/net/dev.
enum NetDevTable {
    /// Receive columns: bytes packets errs drop fifo frame compressed multicast; `fifo` is the 5th.
    static func receiveFIFOErrors(_ text: String, interface: String) -> UInt64? {
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            guard line[..<colon].trimmingCharacters(in: " ") == interface else { continue }
            let fields = line[line.index(after: colon)...].split(separator: " ")
            return fields.count > 4 ? UInt64(fields[4]) : nil
        }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in character: Character) -> Substring {
        var result = self
        while result.first == character { result = result.dropFirst() }
        while result.last == character { result = result.dropLast() }
        return result
    }
}
