// National numbering plans as data, in the spirit of libphonenumber's metadata (PhoneNumberMetadata.xml):
// per country the calling code, the national trunk prefix, the lengths of the national significant number
// (NSN, without trunk prefix), the leading digits of mobile and geographic/other ranges, and the digit
// groupings people write in national format (group lengths counting the trunk prefix, as printed).
// Compact and hand-written from the public plans; used by PhoneNational.swift.

/// One country's numbering plan.
struct PhonePlan: Sendable {
    /// ISO 3166 code, for documentation and tests.
    let iso: String
    /// Country calling code digits ("44").
    let cc: [UInt8]
    /// National trunk prefix digit written before the NSN in national format (0), or nil when none is used.
    let trunk: UInt8?
    /// Allowed NSN lengths.
    let lengths: ClosedRange<Int>
    /// NSN lengths of the mobile ranges when they differ (German mobiles have 10-11 digits).
    let mobileLengths: ClosedRange<Int>
    /// Leading digits of mobile ranges and of geographic/other ranges (each a digit prefix of the NSN).
    let mobile: [PhoneRange]
    let fixed: [PhoneRange]
    /// True where national numbers are commonly written without the trunk prefix (Chinese and Indian
    /// mobiles, Brazilian area codes): such a form is then accepted with context.
    let trunkOptional: Bool
    /// Common national groupings (group lengths of the printed number, trunk included; a parenthesised
    /// area code is one group).
    let groupings: [[Int]]

    init(_ iso: String, _ cc: String, trunk: Character?, _ lengths: ClosedRange<Int>, mobile: String, _ mobileLengths: ClosedRange<Int>? = nil,
         fixed: String, _ groupings: [[Int]], trunkOptional: Bool = false) {
        self.trunkOptional = trunkOptional
        self.iso = iso
        self.cc = Array(cc.utf8).map { $0 - 0x30 }
        self.trunk = trunk.map { UInt8($0.asciiValue! - 0x30) }
        self.lengths = lengths
        self.mobileLengths = mobileLengths ?? lengths
        func prefixes(_ s: String) -> [PhoneRange] { s.split(separator: " ").map { PhoneRange(String($0)) } }
        self.mobile = prefixes(mobile)
        self.fixed = prefixes(fixed)
        self.groupings = groupings
    }

    /// True when the NSN digits `nsn` (values 0-9) have an allowed length and a known leading range.
    func validNSN(_ nsn: ArraySlice<UInt8>) -> Bool {
        mobile.contains { $0.matches(nsn, default: mobileLengths) } || fixed.contains { $0.matches(nsn, default: lengths) }
    }

    /// True when `nsn` is in a mobile range.
    func isMobile(_ nsn: ArraySlice<UInt8>) -> Bool { mobile.contains { $0.matches(nsn, default: mobileLengths) } }
}

/// Leading digits of a range, with the range's own NSN lengths when they differ from the plan's:
/// written "1" or "1:8" or "15:10-11".
struct PhoneRange: Sendable {
    let prefix: [UInt8]
    let lengths: ClosedRange<Int>?

    init(_ s: String) {
        let parts = s.split(separator: ":")
        prefix = Array(parts[0].utf8).map { $0 - 0x30 }
        if parts.count > 1 {
            let l = parts[1].split(separator: "-").map { Int($0)! }
            lengths = l[0]...(l.count > 1 ? l[1] : l[0])
        } else {
            lengths = nil
        }
    }

    func matches(_ nsn: ArraySlice<UInt8>, default d: ClosedRange<Int>) -> Bool {
        (lengths ?? d).contains(nsn.count) && prefix.count <= nsn.count && zip(prefix, nsn).allSatisfy { $0 == $1 }
    }
}

enum PhonePlans {
    /// The plans. Leading-digit lists are prefixes of the NSN; lengths are NSN lengths.
    static let all: [PhonePlan] = [
        PhonePlan("US", "1", trunk: nil, 10...10, mobile: "", fixed: "2 3 4 5 6 7 8 9", [[3, 3, 4], [10]]),
        PhonePlan("GB", "44", trunk: "0", 10...10, mobile: "71 72 73 74 75 76 77 78 79",
                  fixed: "1 2 3 5 8:9-10 9", [[3, 4, 4], [4, 3, 4], [5, 6], [5, 3, 3], [4, 6], [3, 3, 4], [4, 7]]),
        PhonePlan("IE", "353", trunk: "0", 7...9, mobile: "83 85 86 87 89", 9...9,
                  fixed: "1:8 2 4 5 6 7 9", [[2, 3, 4], [3, 3, 4], [3, 7], [2, 7], [3, 6], [4, 5], [3, 3, 3]]),
        PhonePlan("FR", "33", trunk: "0", 9...9, mobile: "6 7", fixed: "1 2 3 4 5 8 9", [[2, 2, 2, 2, 2], [1, 2, 2, 2, 2, 2]]),
        PhonePlan("DE", "49", trunk: "0", 6...11, mobile: "15 16 17", 10...11,
                  fixed: "2 3 4 5 6 7 8 9 18", [[3, 8], [3, 7], [4, 7], [4, 8], [5, 6], [5, 5], [3, 4, 4], [4, 3, 4],
                                                 [4, 4, 4], [3, 3, 4], [5, 3, 3], [4, 6], [3, 6], [6, 5], [6, 4], [4, 3, 3], [4, 2, 2, 2], [3, 2, 2, 2, 2]]),
        PhonePlan("ES", "34", trunk: nil, 9...9, mobile: "6 71 72 73 74", fixed: "8 9", [[3, 3, 3], [2, 3, 2, 2], [3, 2, 2, 2], [9]]),
        PhonePlan("IT", "39", trunk: nil, 6...11, mobile: "3", 9...10, fixed: "0", [[2, 4, 4], [2, 8], [3, 7], [3, 3, 4], [3, 4, 3], [3, 6], [4, 6], [2, 3, 4], [3, 4, 4]]),
        PhonePlan("NL", "31", trunk: "0", 9...9, mobile: "6", fixed: "1 2 3 4 5 7 8 9", [[3, 3, 4], [2, 8], [3, 7], [4, 6], [2, 4, 4], [2, 2, 2, 2, 2], [3, 3, 2, 2]]),
        PhonePlan("BE", "32", trunk: "0", 8...8, mobile: "45 46 47 48 49", 9...9,
                  fixed: "1 2 3 5 6 7 8 9", [[2, 3, 2, 2], [3, 2, 2, 2], [4, 2, 2, 2], [4, 3, 3], [3, 3, 3], [2, 3, 3]]),
        PhonePlan("CH", "41", trunk: "0", 9...9, mobile: "75 76 77 78 79", fixed: "2 3 4 5 6 8 9", [[3, 3, 2, 2], [3, 3, 4], [3, 7]]),
        PhonePlan("AT", "43", trunk: "0", 5...12, mobile: "65 66 67 68 69", 9...13,
                  fixed: "1 2 3 4 5 7 8 9", [[2, 7], [2, 3, 4], [2, 6], [4, 7], [4, 6], [4, 3, 4], [4, 3, 3], [5, 5], [3, 7], [4, 8], [2, 3, 3]]),
        PhonePlan("SE", "46", trunk: "0", 7...9, mobile: "70 72 73 76 79", 9...9,
                  fixed: "1 2 3 4 5 6 8 9", [[2, 3, 3, 2], [3, 3, 2, 2], [2, 3, 2, 2], [3, 2, 2, 2], [2, 2, 2, 2, 2], [3, 3, 3], [2, 7], [3, 7], [4, 6]]),
        PhonePlan("NO", "47", trunk: nil, 8...8, mobile: "4 9", fixed: "2 3 5 6 7", [[2, 2, 2, 2], [3, 2, 3], [4, 4], [8]]),
        PhonePlan("DK", "45", trunk: nil, 8...8, mobile: "2 30 31 40 41 42 50 51 52 53 60 61 71 81 91 92 93",
                  fixed: "3 4 5 6 7 8 9", [[2, 2, 2, 2], [4, 4], [8]]),
        PhonePlan("PL", "48", trunk: nil, 9...9, mobile: "45 50 51 53 57 60 66 69 72 73 78 79 88",
                  fixed: "1 2 3 4 5 6 7 8 9", [[3, 3, 3], [2, 3, 2, 2], [9]]),
        PhonePlan("AU", "61", trunk: "0", 9...9, mobile: "4", fixed: "2 3 7 8", [[2, 4, 4], [4, 3, 3], [2, 8], [4, 6]]),
        PhonePlan("NZ", "64", trunk: "0", 8...10, mobile: "2", fixed: "3 4 6 7 9 8", [[2, 3, 4], [3, 3, 4], [3, 3, 3], [3, 7], [2, 7], [3, 4, 4], [4, 3, 3]]),
        PhonePlan("IN", "91", trunk: "0", 10...10, mobile: "6 7 8 9",
                  fixed: "1 2 3 4 5", [[5, 5], [6, 5], [3, 4, 4], [3, 8], [4, 7], [5, 6], [10], [4, 3, 4], [3, 3, 4]], trunkOptional: true),
        PhonePlan("JP", "81", trunk: "0", 9...10, mobile: "70 80 90", 10...10,
                  fixed: "1 2 3 4 5 6 7 8 9", [[2, 4, 4], [3, 4, 4], [3, 3, 4], [4, 2, 4], [4, 3, 3], [5, 1, 4], [4, 4, 4]]),
        PhonePlan("KR", "82", trunk: "0", 8...10, mobile: "10 11 16 17 18 19", 9...10,
                  fixed: "2 3 4 5 6 70", [[3, 4, 4], [3, 3, 4], [2, 3, 4], [2, 4, 4], [3, 8], [4, 4]]),
        PhonePlan("CN", "86", trunk: "0", 9...11, mobile: "13 14 15 16 17 18 19", 11...11,
                  fixed: "10 2 3 4 5 6 7 8 9", [[3, 4, 4], [3, 8], [4, 7], [4, 8], [4, 4, 4], [11]], trunkOptional: true),
        PhonePlan("BR", "55", trunk: "0", 10...10, mobile: "119 129 139 149 159 169 179 189 199 219 229 249 279 289 319 329 339 349 359 379 389 419 429 439 449 459 469 479 489 499 519 539 549 559 619 629 639 649 659 669 679 689 699 719 739 749 759 779 799 819 829 839 849 859 869 879 889 899 919 929 939 949 959 969 979 989 999", 11...11,
                  fixed: "11 12 13 14 15 16 17 18 19 21 22 24 27 28 31 32 33 34 35 37 38 41 42 43 44 45 46 47 48 49 51 53 54 55 61 62 63 64 65 66 67 68 69 71 73 74 75 77 79 81 82 83 84 85 86 87 88 89 91 92 93 94 95 96 97 98 99",
                  [[2, 5, 4], [2, 4, 4], [2, 9], [2, 8], [3, 5, 4], [3, 4, 4]], trunkOptional: true),
        PhonePlan("MX", "52", trunk: nil, 10...10, mobile: "1:11", fixed: "2 3 4 5 6 7 8 9", [[2, 4, 4], [3, 3, 4], [10]]),
        PhonePlan("ZA", "27", trunk: "0", 9...9, mobile: "6 7 8", fixed: "1 2 3 4 5", [[3, 3, 4], [2, 3, 4], [3, 7]]),
    ]

    /// The plan whose calling code starts `digits` (1 to 3 digits), with the code's length.
    static func byCallingCode(_ digits: ArraySlice<UInt8>) -> (PhonePlan, Int)? {
        for plan in all where plan.cc.count <= digits.count && zip(plan.cc, digits).allSatisfy({ $0 == $1 }) {
            return (plan, plan.cc.count)
        }
        return nil
    }
}
