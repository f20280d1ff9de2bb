/// Byte-level facts about kernel images.
public enum KernelImageFormat {
    /// The xz stream magic `FD 37 7A 58 5A 00`.
    public static let xzMagic: [UInt8] = [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]
    /// The ELF magic `7F 45 4C 46`.
    public static let elfMagic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]

    /// Offsets of every occurrence of `magic` in `bytes`, in increasing order.
    public static func offsets(of magic: [UInt8], in bytes: [UInt8]) -> [Int] {
        guard !magic.isEmpty, bytes.count >= magic.count else { return [] }
        var result: [Int] = []
        let first = magic[0]
        var index = 0
        let last = bytes.count - magic.count
        while index <= last {
            if bytes[index] == first, bytes[index..<(index + magic.count)].elementsEqual(magic) {
                result.append(index)
            }
            index += 1
        }
        return result
    }

    /// Whether `bytes` start with the ELF magic.
    public static func isELF(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.prefix(4).elementsEqual(elfMagic)
    }
}
