//! A small, strict RFC 3339 `date-time` parser, for comparing SCIM
//! `dateTime` attributes as instants.
//!
//! `2011-05-13T04:42:34Z` and `2011-05-13T06:42:34+02:00` are the same
//! instant. Fractions of a second of any length compare exactly.

/// An instant: seconds since the Unix epoch and the fraction digits of the
/// second, without trailing zeros. The derived order is chronological: for
/// fraction digit strings without trailing zeros, text order is numeric
/// order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant<'a> {
    seconds: i64,
    fraction: &'a str,
}

impl<'a> Instant<'a> {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub fn seconds(&self) -> i64 {
        self.seconds
    }

    /// The digits of the fraction of a second, without trailing zeros.
    pub fn fraction(&self) -> &'a str {
        self.fraction
    }
}

/// Parses `full-date "T" full-time` of RFC 3339 §5.6 (`T`/`Z` in either case,
/// or a space for `T`), checking field ranges, including the day of month.
/// A leap second (`:60`) reads as the first second of the next minute.
pub fn parse(s: &str) -> Option<Instant<'_>> {
    let b = s.as_bytes();
    let year = digits(b, 0, 4)?;
    byte_is(b, 4, b'-')?;
    let month = digits(b, 5, 2)?;
    byte_is(b, 7, b'-')?;
    let day = digits(b, 8, 2)?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    byte_is(b, 13, b':')?;
    let minute = digits(b, 14, 2)?;
    byte_is(b, 16, b':')?;
    let second = digits(b, 17, 2)?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut i = 19;
    let mut fraction = "";
    if b.get(i) == Some(&b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        fraction = s.get(start..i)?.trim_end_matches('0');
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') => {
            i += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, i + 1, 2)?;
            byte_is(b, i + 3, b':')?;
            let om = digits(b, i + 4, 2)?;
            if oh > 23 || om > 59 {
                return None;
            }
            i += 6;
            let minutes = oh * 60 + om;
            if sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    if i != b.len() {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset * 60;
    Some(Instant { seconds, fraction })
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let slice = b.get(at..at + n)?;
    let mut v = 0;
    for &c in slice {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

fn byte_is(b: &[u8], at: usize, c: u8) -> Option<()> {
    (b.get(at) == Some(&c)).then_some(())
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn secs(s: &str) -> i64 {
        parse(s).unwrap().seconds
    }

    #[test]
    fn reads_known_instants() {
        assert_eq!(secs("1970-01-01T00:00:00Z"), 0);
        assert_eq!(secs("2011-05-13T04:42:34Z"), 1_305_261_754);
        assert_eq!(secs("2000-02-29T00:00:00Z"), 951_782_400);
        assert_eq!(secs("1969-12-31T23:59:59Z"), -1);
        assert_eq!(secs("0000-01-01T00:00:00Z"), -62_167_219_200);
        assert_eq!(secs("9999-12-31T23:59:59Z"), 253_402_300_799);
    }

    #[test]
    fn offsets_and_fractions_compare_as_instants() {
        assert_eq!(
            parse("2011-05-13T04:42:34Z"),
            parse("2011-05-13T06:42:34+02:00")
        );
        assert_eq!(
            parse("2011-05-13T04:42:34Z"),
            parse("2011-05-12t23:42:34-05:00")
        );
        assert_eq!(
            parse("2011-05-13T04:42:34.500Z"),
            parse("2011-05-13 04:42:34.5z")
        );
        assert_eq!(
            parse("2011-05-13T04:42:34.000Z"),
            parse("2011-05-13T04:42:34Z")
        );
        let a = parse("2011-05-13T04:42:34.09Z").unwrap();
        let b = parse("2011-05-13T04:42:34.1Z").unwrap();
        let c = parse("2011-05-13T04:42:34.1000000001Z").unwrap();
        let d = parse("2011-05-13T04:42:35Z").unwrap();
        assert!(a < b && b < c && c < d);
        assert_eq!(parse("2016-12-31T23:59:60Z"), parse("2017-01-01T00:00:00Z"));
    }

    #[test]
    fn rejects_malformed_or_out_of_range() {
        for bad in [
            "",
            "2011-05-13",
            "2011-05-13T04:42Z",
            "2011-05-13T04:42:34",
            "2011-5-13T04:42:34Z",
            "2011-05-13X04:42:34Z",
            "2011-13-13T04:42:34Z",
            "2011-00-13T04:42:34Z",
            "2011-02-29T04:42:34Z",
            "1900-02-29T00:00:00Z",
            "2011-04-31T04:42:34Z",
            "2011-05-00T04:42:34Z",
            "2011-05-13T24:00:00Z",
            "2011-05-13T04:60:00Z",
            "2011-05-13T04:42:61Z",
            "2011-05-13T04:42:34.Z",
            "2011-05-13T04:42:34+0200",
            "2011-05-13T04:42:34+24:00",
            "2011-05-13T04:42:34Zjunk",
            "+011-05-13T04:42:34Z",
            "２011-05-13T04:42:34Z",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert!(parse("2000-02-29T00:00:00Z").is_some());
    }
}
