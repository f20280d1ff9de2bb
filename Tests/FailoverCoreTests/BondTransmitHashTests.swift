import FailoverModel
import Testing

/// Values worked by hand from `drivers/net/bonding/bond_main.c` (6.1 and 6.12: `bond_eth_hash`,
/// `bond_ip_hash`, `__bond_xmit_hash`, `slaves->arr[hash % count]`), never from a run.
/// The flow: bond MAC 02:00:00:00:00:01 → client 02:00:00:00:00:02, 198.18.0.1 → 198.18.0.2,
/// UDP source port 40000 (0x9c40) → 5001 (0x1389).
@Suite("Bond transmit hash (xmit_hash_policy)")
struct BondTransmitHashTests {
    static let bond = MACAddress(bytes: [2, 0, 0, 0, 0, 1])
    static let client = MACAddress(bytes: [2, 0, 0, 0, 0, 2])

    static func udp4(
        destinationMAC: MACAddress = client, sourcePort: UInt16 = 40_000, destinationPort: UInt16 = 5001
    ) -> TransmitFlow {
        TransmitFlow(
            sourceMAC: bond, destinationMAC: destinationMAC, etherType: 0x0800, sourceIP: IPAddress("198.18.0.1"),
            destinationIP: IPAddress("198.18.0.2"), sourcePort: sourcePort, destinationPort: destinationPort)
    }

    static func udp6(sourcePort: UInt16 = 40_000) -> TransmitFlow {
        TransmitFlow(
            sourceMAC: bond, destinationMAC: client, etherType: 0x86dd, sourceIP: IPAddress("2001:2::1"),
            destinationIP: IPAddress("2001:2::2"), sourcePort: sourcePort, destinationPort: 5001)
    }

    /// layer2: 0x02 ^ 0x01 ^ 0x0800 = 0x0803; 0x0803 % 2 = 1 → eth1; 0x0803 = 2051 = 3·683 + 2 → eth2 of 3.
    /// Destination MAC …:03: 0x03 ^ 0x01 ^ 0x0800 = 0x0802, % 2 = 0 → eth0. Ports and IPs do not count.
    @Test func layer2() {
        #expect(BondTransmitHash.hash(Self.udp4(), policy: .layer2) == 0x0803)
        #expect(BondTransmitHash.member(Self.udp4(), policy: .layer2, usable: ["eth0", "eth1"]) == "eth1")
        #expect(BondTransmitHash.member(Self.udp4(), policy: .layer2, usable: ["eth0", "eth1", "eth2"]) == "eth2")
        let other = Self.udp4(destinationMAC: MACAddress(bytes: [2, 0, 0, 0, 0, 3]))
        #expect(BondTransmitHash.member(other, policy: .layer2, usable: ["eth0", "eth1"]) == "eth0")
        #expect(BondTransmitHash.hash(Self.udp4(sourcePort: 40_002), policy: .layer2) == 0x0803)
        // The order of the usable array decides: the same hash picks the other name when reversed.
        #expect(BondTransmitHash.member(Self.udp4(), policy: .layer2, usable: ["eth1", "eth0"]) == "eth0")
    }

    /// layer2+3: eth 0x0803; 198.18.0.1 = c6 12 00 01 → LE word 0x010012c6, .2 → 0x020012c6;
    /// dst ^ src = 0x03000000; 0x03000803; ^ (>> 16 = 0x0300) → 0x03000b03; ^ (>> 8 = 0x0003000b)
    /// → 0x03030b08; % 2 = 0 → eth0; 0x03030b08 = 50531080 = 3·16843693 + 1 → eth1 of 3.
    /// Destination MAC …:03: eth 0x0802 → 0x03000802 → 0x03000b02 → 0x03030b09, % 2 = 1 → eth1
    /// (a wrong final >> 1, as before Linux 5.18, gives 0x01818584 → eth0).
    @Test func layer2plus3IPv4() {
        #expect(BondTransmitHash.hash(Self.udp4(), policy: .layer23) == 0x0303_0b08)
        #expect(BondTransmitHash.member(Self.udp4(), policy: .layer23, usable: ["eth0", "eth1"]) == "eth0")
        #expect(BondTransmitHash.member(Self.udp4(), policy: .layer23, usable: ["eth0", "eth1", "eth2"]) == "eth1")
        let other = Self.udp4(destinationMAC: MACAddress(bytes: [2, 0, 0, 0, 0, 3]))
        #expect(BondTransmitHash.hash(other, policy: .layer23) == 0x0303_0b09)
        #expect(BondTransmitHash.member(other, policy: .layer23, usable: ["eth0", "eth1"]) == "eth1")
        // Ports do not count under layer2+3.
        #expect(BondTransmitHash.hash(Self.udp4(sourcePort: 40_001), policy: .layer23) == 0x0303_0b08)
        // encap2+3 on a frame without a tunnel finds the same headers.
        #expect(BondTransmitHash.hash(other, policy: .encap23) == 0x0303_0b09)
    }

    /// layer2+3, IPv6: 2001:2::1 → words 0x02000120, 0, 0, 0x01000000 → ipv6_addr_hash 0x03000120;
    /// 2001:2::2 → 0x02000120 ^ 0x02000000 = 0x00000120; dst ^ src = 0x03000000.
    /// eth 0x02 ^ 0x01 ^ 0x86dd = 0x86de; 0x030086de; ^ 0x0300 → 0x030085de; ^ 0x00030085 → 0x0303855b;
    /// % 2 = 1 → eth1.
    @Test func layer2plus3IPv6() {
        #expect(BondTransmitHash.hash(Self.udp6(), policy: .layer23) == 0x0303_855b)
        #expect(BondTransmitHash.member(Self.udp6(), policy: .layer23, usable: ["eth0", "eth1"]) == "eth1")
    }

    /// layer3+4: ports 9c 40 13 89 → LE 0x8913409c; ^ 0x03000000 → 0x8a13409c; ^ 0x8a13 → 0x8a13ca8f;
    /// ^ 0x008a13ca → 0x8a99d945; >> 1 → 0x454ceca2; % 2 = 0 → eth0 (without the final >> 1,
    /// 0x8a99d945 is odd → eth1); 0x454ceca2 = 1162669218 = 3·387556406 → eth0 of 3.
    /// Port 40001 (9c 41): 0x8913419c → 0x8a13419c → 0x8a13cb8f → 0x8a99d844 >> 1 = 0x454cec22 → eth0.
    /// Port 40002 (9c 42): ports 0x8913429c → 0x8a99db47 >> 1 = 0x454ceda3, % 2 = 1 → eth1.
    @Test func layer3plus4IPv4() {
        #expect(BondTransmitHash.hash(Self.udp4(), policy: .layer34) == 0x454c_eca2)
        #expect(BondTransmitHash.member(Self.udp4(), policy: .layer34, usable: ["eth0", "eth1"]) == "eth0")
        #expect(BondTransmitHash.member(Self.udp4(), policy: .layer34, usable: ["eth0", "eth1", "eth2"]) == "eth0")
        #expect(BondTransmitHash.hash(Self.udp4(sourcePort: 40_001), policy: .layer34) == 0x454c_ec22)
        #expect(
            BondTransmitHash.member(Self.udp4(sourcePort: 40_001), policy: .layer34, usable: ["eth0", "eth1"]) == "eth0"
        )
        #expect(BondTransmitHash.hash(Self.udp4(sourcePort: 40_002), policy: .layer34) == 0x454c_eda3)
        #expect(
            BondTransmitHash.member(Self.udp4(sourcePort: 40_002), policy: .layer34, usable: ["eth0", "eth1"]) == "eth1"
        )
        // MACs do not count under layer3+4.
        let other = Self.udp4(destinationMAC: MACAddress(bytes: [2, 0, 0, 0, 0, 3]))
        #expect(BondTransmitHash.hash(other, policy: .layer34) == 0x454c_eca2)
    }

    /// layer3+4, IPv6: the same address word 0x03000000 and ports → 0x454ceca2 → eth0.
    @Test func layer3plus4IPv6() {
        #expect(BondTransmitHash.hash(Self.udp6(), policy: .layer34) == 0x454c_eca2)
    }

    /// ARP under an L3 policy: the flow dissector fails, layer2 hash: 0x02 ^ 0x01 ^ 0x0806 = 0x0805 → eth1.
    @Test func nonIPFallsBackToLayer2() {
        let arp = TransmitFlow(sourceMAC: Self.bond, destinationMAC: Self.client, etherType: 0x0806)
        #expect(BondTransmitHash.hash(arp, policy: .layer34) == 0x0805)
        #expect(BondTransmitHash.hash(arp, policy: .layer23) == 0x0805)
    }

    @Test func unpredictable() {
        #expect(BondTransmitHash.hash(Self.udp4(), policy: .encap34) == nil)
        #expect(BondTransmitHash.hash(Self.udp4(), policy: .vlanSrcMAC) == nil)
        #expect(BondTransmitHash.member(Self.udp4(), policy: .layer2, usable: []) == nil)
    }
}
