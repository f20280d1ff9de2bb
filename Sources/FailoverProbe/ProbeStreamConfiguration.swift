public import FailoverModel

/// Opens a socket: in `namespace` (nil: the caller's current network namespace), of `family`
/// (`AF_INET`/`AF_INET6`) and `type` (`SOCK_DGRAM`). Returns the fd, owned by the caller.
public typealias SocketFactory = @Sendable (_ namespace: String?, _ family: Int32, _ type: Int32) throws -> Int32

/// One direction of one probe: who sends what to whom, how fast.
public struct ProbeStreamConfiguration: Sendable, Hashable, Codable {
    /// The playbook probe name.
    public var probe: String
    /// Carried in every packet; packets of other streams are ignored by the receiver.
    public var streamID: UInt32
    public var direction: ProbeDirection
    public var senderNamespace: String?
    public var receiverNamespace: String?
    /// Source address to bind the sending sockets to (nil: chosen by routing).
    public var sourceAddress: IPAddress?
    /// Destination address; the receiver binds to it.
    public var destinationAddress: IPAddress
    /// Destination UDP port.
    public var port: Int
    /// Packets per second.
    public var rate: Int
    /// UDP payload bytes, at least `ProbeHeader.size`.
    public var payloadSize: Int
    /// Source ports (sockets) the packets are spread over, round-robin.
    public var flows: Int
    /// Receive buffer requested with SO_RCVBUFFORCE (falls back to SO_RCVBUF).
    public var receiveBufferBytes: Int
    /// Stop sending after this many packets (nil: until stopped).
    public var packetLimit: Int?
    /// A stream to a CARP group's VIP: the namespaces of the group's members (the VIP moves
    /// between them). The receiver listens on the VIP in each (IP_FREEBIND) and merges what they
    /// receive into one sequence. Empty: an ordinary stream received in `receiverNamespace`.
    public var memberNamespaces: [String] = []

    public init(
        probe: String, streamID: UInt32, direction: ProbeDirection = .forward, senderNamespace: String? = nil,
        receiverNamespace: String? = nil, sourceAddress: IPAddress? = nil, destinationAddress: IPAddress,
        port: Int = 40_000, rate: Int = 10_000, payloadSize: Int = 64, flows: Int = 1,
        receiveBufferBytes: Int = 8 << 20, packetLimit: Int? = nil
    ) {
        self.probe = probe
        self.streamID = streamID
        self.direction = direction
        self.senderNamespace = senderNamespace
        self.receiverNamespace = receiverNamespace
        self.sourceAddress = sourceAddress
        self.destinationAddress = destinationAddress
        self.port = port
        self.rate = rate
        self.payloadSize = payloadSize
        self.flows = flows
        self.receiveBufferBytes = receiveBufferBytes
        self.packetLimit = packetLimit
    }

    /// The destination is a VIP that comes and goes with the CARP state (see `memberNamespaces`).
    public var isVirtualDestination: Bool { !memberNamespaces.isEmpty }

    /// The namespaces a receiving socket is opened in: every member for a VIP, else the receiver's.
    public var receiverNamespaces: [String?] { memberNamespaces.isEmpty ? [receiverNamespace] : memberNamespaces }

    /// Nanoseconds between two packets (1e9 / rate).
    public var intervalNanoseconds: Double { 1e9 / Double(max(rate, 1)) }

    /// Checks the values the engine depends on.
    public func validate() throws {
        let object = "probe \(probe) (\(direction))"
        guard rate > 0, rate <= 2_000_000 else {
            throw ProbeError(.invalidConfiguration, operation: "rate \(rate) (1...2000000)", object: object)
        }
        guard payloadSize >= ProbeHeader.size, payloadSize <= 65_507 else {
            throw ProbeError(
                .invalidConfiguration, operation: "payload size \(payloadSize) (32...65507)", object: object)
        }
        guard flows >= 1, flows <= 1024 else {
            throw ProbeError(.invalidConfiguration, operation: "flows \(flows) (1...1024)", object: object)
        }
        guard (1...65_535).contains(port) else {
            throw ProbeError(.invalidConfiguration, operation: "port \(port)", object: object)
        }
        if let sourceAddress, sourceAddress.family != destinationAddress.family {
            throw ProbeError(.invalidConfiguration, operation: "address families differ", object: object)
        }
    }

    /// The stream configurations (one per direction) of a playbook probe.
    /// - Parameters:
    ///   - spec: the probe as declared.
    ///   - streamID: id of the forward stream; the reverse stream uses `streamID + 1`.
    ///   - fromNamespace/toNamespace: the namespaces of `spec.from` and `spec.to`.
    ///   - fromAddress/toAddress: resolved addresses of the two hosts (the spec's, or each host's first).
    public static func streams(
        for spec: ProbeSpec, streamID: UInt32, fromNamespace: String?, toNamespace: String?, fromAddress: IPAddress,
        toAddress: IPAddress
    ) -> [ProbeStreamConfiguration] {
        var result: [ProbeStreamConfiguration] = []
        if spec.direction != .reverse {
            result.append(
                ProbeStreamConfiguration(
                    probe: spec.name, streamID: streamID, direction: .forward, senderNamespace: fromNamespace,
                    receiverNamespace: toNamespace, sourceAddress: spec.fromAddress ?? fromAddress,
                    destinationAddress: spec.toAddress ?? toAddress, port: spec.port, rate: spec.rate,
                    payloadSize: spec.payloadSize, flows: spec.flows))
        }
        if spec.direction != .forward {
            result.append(
                ProbeStreamConfiguration(
                    probe: spec.name, streamID: streamID &+ 1, direction: .reverse, senderNamespace: toNamespace,
                    receiverNamespace: fromNamespace, sourceAddress: spec.toAddress ?? toAddress,
                    destinationAddress: spec.fromAddress ?? fromAddress, port: spec.port, rate: spec.rate,
                    payloadSize: spec.payloadSize, flows: spec.flows))
        }
        return result
    }
}
