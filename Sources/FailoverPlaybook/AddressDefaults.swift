import FailoverModel

/// Default addresses for interfaces a playbook leaves without one, and the benchmark-range rule.
///
/// The rule (documented in docs/playbook.md):
/// - Switched segment: every host interface that reaches a switch (a bond with a slave cabled to a
///   switch, or a lone cable end to a switch) and has no address gets `198.18.0.<n>/24` and
///   `2001:2::<n>/64`, n = 1, 2, … in host declaration order, bonds first then cables, skipping any n
///   a playbook already uses on that segment.
/// - Host-to-host cables: the k-th such cable (k = 1, 2, … in cable order) is `198.18.<k>.0/24` and
///   `2001:2:0:<k>::/64`; its first end gets `.1`/`::1`, its other end `.2`/`::2` (a bond whose slave
///   it is gets the address instead, when the bond has no switched slave).
enum AddressDefaults {
    static func isBenchmark(_ family: InterfaceAddress.Family, _ bytes: [UInt8]) -> Bool {
        switch family {
        case .ipv4: return bytes.count == 4 && bytes[0] == 198 && bytes[1] & 0xFE == 18
        case .ipv6: return bytes.count == 16 && Array(bytes[0..<6]) == [0x20, 0x01, 0x00, 0x02, 0x00, 0x00]
        }
    }

    static func v4(_ b2: Int, _ b3: Int) -> InterfaceAddress {
        InterfaceAddress(family: .ipv4, bytes: [198, 18, UInt8(b2), UInt8(b3)], prefixLength: 24)
    }

    static func v6(_ group4: Int, _ last: Int) -> InterfaceAddress {
        var bytes: [UInt8] = [0x20, 0x01, 0x00, 0x02, 0x00, 0x00, UInt8(group4 >> 8), UInt8(group4 & 0xff)]
        bytes += Array(repeating: 0, count: 6)
        bytes += [UInt8(last >> 8), UInt8(last & 0xff)]
        return InterfaceAddress(family: .ipv6, bytes: bytes, prefixLength: 64)
    }
}

extension PlaybookDecoder {
    func assignDefaultAddresses() {
        let switchedEnds = Set(
            cables.compactMap { cable -> InterfaceRef? in
                if case .switch = cable.b { return cable.a }
                return nil
            })
        // Every address already written, to skip on the switched segment.
        var usedLAN: Set<Int> = []
        for host in hostOrder.compactMap({ hosts[$0] }) {
            let written = host.addresses.flatMap(\.addresses) + host.bonds.flatMap(\.addresses)
            for address in written {
                if address.family == .ipv4, address.bytes[0...2] == [198, 18, 0] {
                    usedLAN.insert(Int(address.bytes[3]))
                }
                if address.family == .ipv6,
                    Array(address.bytes[0..<14]) == Array(AddressDefaults.v6(0, 0).bytes[0..<14])
                {
                    usedLAN.insert(Int(address.bytes[14]) << 8 | Int(address.bytes[15]))
                }
            }
        }
        // CARP VIPs are not a host's address, but no default may take them either.
        for group in carp where group.vip.family == .ipv4 && group.vip.bytes[0...2] == [198, 18, 0] {
            usedLAN.insert(Int(group.vip.bytes[3]))
        }
        var next = 1
        func nextLAN() -> Int? {
            while usedLAN.contains(next) { next += 1 }
            guard next <= 254 else { return nil }
            defer { next += 1 }
            return next
        }
        var assigned: Set<InterfaceRef> = []
        for name in hostOrder {
            guard var host = hosts[name] else { continue }
            let written = Set(host.addresses.map(\.interface) + host.bonds.filter { !$0.addresses.isEmpty }.map(\.name))
            let slaves = Set(host.bonds.flatMap { $0.slaves.map(\.0) })
            var candidates: [String] = []
            for bond in host.bonds
            where bond.slaves.contains(where: { switchedEnds.contains(InterfaceRef(host: name, interface: $0.0)) }) {
                candidates.append(bond.name)
            }
            for cable in host.cables where !slaves.contains(cable.interface) && switchedEnds.contains(cable.ref) {
                candidates.append(cable.interface)
            }
            for interface in candidates where !written.contains(interface) {
                guard let n = nextLAN() else { break }
                host.defaultAddresses.append(
                    InterfaceAddresses(
                        interface: interface, addresses: [AddressDefaults.v4(0, n), AddressDefaults.v6(0, n)]))
                assigned.insert(InterfaceRef(host: name, interface: interface))
            }
            hosts[name] = host
        }
        var k = 0
        for cable in cables {
            guard case .host(let far) = cable.b else { continue }
            k += 1
            guard k <= 255 else { break }
            for (end, last) in [(cable.a, 1), (far, 2)] {
                guard var host = hosts[end.host] else { continue }
                var interface = end.interface
                if let bond = host.bonds.first(where: { $0.slaves.contains { $0.0 == end.interface } }) {
                    interface = bond.name
                }
                let ref = InterfaceRef(host: end.host, interface: interface)
                let written =
                    host.addresses.contains { $0.interface == interface }
                    || host.bonds.contains { $0.name == interface && !$0.addresses.isEmpty }
                guard !written, !assigned.contains(ref) else { continue }
                host.defaultAddresses.append(
                    InterfaceAddresses(
                        interface: interface, addresses: [AddressDefaults.v4(k, last), AddressDefaults.v6(k, last)]))
                assigned.insert(ref)
                hosts[end.host] = host
            }
        }
    }
}
