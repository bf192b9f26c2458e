import Foundation

/// ISO 8601 times in UTC with microseconds (`2026-11-26T23:40:01.123456Z`), the form every
/// output of the command line uses, and the parsing of the times its options accept.
enum Timestamp {
    /// Formats microseconds since 1970-01-01 UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    static func format(micros: Int64) -> String {
        let (seconds, fraction) = floorDivide(micros, 1_000_000)
        let (days, secondOfDay) = floorDivide(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        let hour = secondOfDay / 3600
        let minute = secondOfDay % 3600 / 60
        let second = secondOfDay % 60
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(hour, 2) + ":" + pad(minute, 2)
            + ":" + pad(second, 2) + "." + pad(fraction, 6) + "Z"
    }

    /// Formats a date as ``format(micros:)`` does, rounded to the microsecond.
    static func format(_ date: Date) -> String {
        format(micros: micros(date))
    }

    /// The date's microseconds since 1970, rounded to the nearest.
    static func micros(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// A `Date` for `micros` (the library rounds a date to the nearest microsecond, which gives
    /// `micros` back exactly).
    static func date(micros: Int64) -> Date {
        Date(timeIntervalSince1970: Double(micros) / 1_000_000)
    }

    /// Parses `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM[:SS[.fraction]]` followed by `Z`, `±HH:MM`,
    /// `±HHMM` or nothing (UTC), into microseconds since 1970. Digits past the sixth of the
    /// fraction are dropped. `nil` when the text is not such a time.
    static func parse(_ text: String) -> Int64? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.digits(4), scanner.take(UInt8(ascii: "-")),
            let month = scanner.digits(2), scanner.take(UInt8(ascii: "-")),
            let day = scanner.digits(2)
        else {
            return nil
        }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else {
            return nil
        }
        var secondOfDay: Int64 = 0
        var fraction: Int64 = 0
        var offsetSeconds: Int64 = 0
        if !scanner.atEnd {
            guard scanner.take(UInt8(ascii: "T")) || scanner.take(UInt8(ascii: "t")) || scanner.take(UInt8(ascii: " ")),
                let hour = scanner.digits(2), scanner.take(UInt8(ascii: ":")), let minute = scanner.digits(2),
                hour < 24, minute < 60
            else {
                return nil
            }
            var second: Int64 = 0
            if scanner.take(UInt8(ascii: ":")) {
                guard let value = scanner.digits(2), value < 60 else {
                    return nil
                }
                second = value
                if scanner.take(UInt8(ascii: ".")) || scanner.take(UInt8(ascii: ",")) {
                    var count = 0
                    while let digit = scanner.digit() {
                        if count < 6 {
                            fraction = fraction * 10 + digit
                        }
                        count += 1
                    }
                    guard count > 0 else {
                        return nil
                    }
                    for _ in count..<max(count, 6) {
                        fraction *= 10
                    }
                }
            }
            secondOfDay = hour * 3600 + minute * 60 + second
            if scanner.take(UInt8(ascii: "Z")) || scanner.take(UInt8(ascii: "z")) {
                offsetSeconds = 0
            } else if let sign = scanner.sign() {
                guard let hours = scanner.digits(2) else {
                    return nil
                }
                _ = scanner.take(UInt8(ascii: ":"))
                guard let minutes = scanner.digits(2), hours < 24, minutes < 60 else {
                    return nil
                }
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
            }
        }
        guard scanner.atEnd else {
            return nil
        }
        let seconds = days(year: year, month: month, day: day) * 86_400 + secondOfDay - offsetSeconds
        return seconds * 1_000_000 + fraction
    }

    // MARK: - Calendar arithmetic (proleptic Gregorian, Howard Hinnant's algorithms)

    private static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value >= 0 ? value / divisor : (value - divisor + 1) / divisor
        return (quotient, value - quotient * divisor)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// A cursor over ASCII bytes.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
        }

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else {
                return false
            }
            index += 1
            return true
        }

        mutating func digit() -> Int64? {
            guard index < bytes.count, (0x30...0x39).contains(bytes[index]) else {
                return nil
            }
            index += 1
            return Int64(bytes[index - 1] - 0x30)
        }

        mutating func digits(_ count: Int) -> Int64? {
            var value: Int64 = 0
            for _ in 0..<count {
                guard let digit = digit() else {
                    return nil
                }
                value = value * 10 + digit
            }
            return value
        }

        mutating func sign() -> Int64? {
            if take(UInt8(ascii: "+")) {
                return 1
            }
            if take(UInt8(ascii: "-")) {
                return -1
            }
            return nil
        }
    }
}
