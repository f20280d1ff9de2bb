/// Typed rtnetlink operations on one namespace's socket. Every method waits for the kernel's
/// ack and throws `NetlinkError` with the namespace, the object and the kernel's message.
public final class RouteSocket: Sendable {
    public let socket: NetlinkSocket
    /// Namespace name, used in error objects.
    public let namespace: String

    /// Opens a request socket inside the namespace whose descriptor is `namespaceFD`, on a
    /// dedicated thread (nil: the calling thread's namespace).
    public init(namespace: String, namespaceFD: Int32?) throws {
        self.namespace = namespace
        if let namespaceFD {
            socket = try NamespaceThread.run(namespaceFD: namespaceFD, label: namespace) {
                try NetlinkSocket(label: namespace)
            }
        } else {
            socket = try NetlinkSocket(label: namespace)
        }
    }

    public func close() { socket.close() }

    /// Sends a prepared request. Returns the CLOCK_MONOTONIC ns of the ack.
    @discardableResult
    public func perform(_ message: NetlinkMessageBuilder, operation: String, object: String) throws(NetlinkError)
        -> UInt64
    {
        try socket.request(message, operation: operation, object: "\(namespace)/\(object)").ackTime
    }

    /// All interfaces (RTM_GETLINK dump).
    public func links() throws(NetlinkError) -> [Link] {
        let replies = try socket.dump(LinkRequest.dump(), operation: "dump links", object: namespace)
        return replies.compactMap { reply in
            guard reply.type == RTM.newLink else { return nil }
            return try? Link(payload: reply.payload)
        }
    }

    /// One interface by name, nil when it does not exist (ENODEV).
    public func link(named name: String) throws(NetlinkError) -> Link? {
        do {
            var message = LinkRequest.get(name: name)
            message.addFlags(0)
            let replies = try socket.request(message, operation: "get link", object: "\(namespace)/\(name)").replies
            for reply in replies where reply.type == RTM.newLink {
                if let link = try? Link(payload: reply.payload) { return link }
            }
            return nil
        } catch  where error.errno == .noDevice {
            return nil
        }
    }

    /// The ifindex of `name`. - Throws: `NetlinkError` ENODEV when missing.
    public func index(of name: String) throws(NetlinkError) -> Int32 {
        guard let link = try link(named: name) else {
            throw NetlinkError(operation: "find link", object: "\(namespace)/\(name)", errno: .noDevice)
        }
        return link.index
    }

    /// All addresses (RTM_GETADDR dump).
    public func addresses() throws(NetlinkError) -> [Address] {
        let replies = try socket.dump(AddressRequest.dump(), operation: "dump addresses", object: namespace)
        return replies.compactMap { reply in
            guard reply.type == RTM.newAddr else { return nil }
            return try? Address(payload: reply.payload)
        }
    }

    @discardableResult
    public func setAdminState(_ name: String, up: Bool) throws(NetlinkError) -> UInt64 {
        let index = try index(of: name)
        return try perform(
            LinkRequest.setAdminState(index: index, up: up), operation: up ? "set up" : "set down", object: name)
    }

    @discardableResult
    public func setAdminState(index: Int32, name: String, up: Bool) throws(NetlinkError) -> UInt64 {
        try perform(
            LinkRequest.setAdminState(index: index, up: up), operation: up ? "set up" : "set down", object: name)
    }

    /// Deletes `name`; false when it was already gone.
    @discardableResult
    public func deleteLink(_ name: String) throws(NetlinkError) -> Bool {
        guard let link = try link(named: name) else { return false }
        do {
            try perform(LinkRequest.delete(index: link.index), operation: "delete link", object: name)
        } catch  where error.errno == .noDevice {
            return false
        }
        return true
    }
}
