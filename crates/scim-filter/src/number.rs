//! JSON numbers kept in their lexical form, with exact decimal comparison.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A JSON number (RFC 8259 §6) as written in the filter.
///
/// The lexical form is kept as is, so `1.50` prints back as `1.50` and
/// `1e999999` (which no `f64` holds) is still a valid, comparable value.
/// Equality of two `Number`s is equality of their text; use
/// [`Number::cmp_value`] for numeric comparison, which is exact (no
/// floating-point rounding).
///
/// ```
/// use scim_filter::Number;
///
/// let n: Number = "1.50".parse().unwrap();
/// assert_eq!(n.as_str(), "1.50");
/// assert_eq!(n.as_f64(), Some(1.5));
/// let m: Number = "15e-1".parse().unwrap();
/// assert_eq!(n.cmp_value(&m), std::cmp::Ordering::Equal);
/// assert!("01".parse::<Number>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number(String);

/// The error of [`Number::from_str`]: the text is not a JSON number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a JSON number")]
pub struct InvalidNumber(String);

impl Number {
    /// The number as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The nearest `f64`, or `None` if the number is out of `f64` range.
    pub fn as_f64(&self) -> Option<f64> {
        self.0.parse::<f64>().ok().filter(|v| v.is_finite())
    }

    /// The value as an `i64`, if it is an integer written without fraction
    /// or exponent and fits.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The value as a `serde_json::Number`, if serde_json can hold it.
    pub fn to_json(&self) -> Option<serde_json::Number> {
        if let Some(i) = self.as_i64() {
            return Some(i.into());
        }
        if let Ok(u) = self.0.parse::<u64>() {
            return Some(u.into());
        }
        self.as_f64().and_then(serde_json::Number::from_f64)
    }

    /// Compares the numeric values exactly (`1.0` equals `1`, `1e2` equals `100`).
    pub fn cmp_value(&self, other: &Number) -> Ordering {
        match (Decimal::parse(&self.0), Decimal::parse(&other.0)) {
            (Some(a), Some(b)) => a.cmp(&b),
            // Unreachable: a `Number` always holds a valid JSON number.
            _ => self.0.cmp(&other.0),
        }
    }

    /// Builds a number from text already checked by the grammar.
    pub(crate) fn from_valid(text: &str) -> Number {
        Number(text.to_owned())
    }
}

impl FromStr for Number {
    type Err = InvalidNumber;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if is_json_number(s) {
            Ok(Number(s.to_owned()))
        } else {
            Err(InvalidNumber(s.to_owned()))
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        Number(v.to_string())
    }
}

impl From<u64> for Number {
    fn from(v: u64) -> Self {
        Number(v.to_string())
    }
}

impl From<&serde_json::Number> for Number {
    fn from(v: &serde_json::Number) -> Self {
        Number(v.to_string())
    }
}

impl TryFrom<f64> for Number {
    type Error = InvalidNumber;

    /// Fails for NaN and infinities, which JSON cannot express.
    fn try_from(v: f64) -> Result<Self, Self::Error> {
        // `Debug` gives the shortest text that round-trips, e.g. `0.1`, `1e300`.
        format!("{v:?}").parse()
    }
}

/// Whether `s` is exactly one JSON number (RFC 8259 §6).
pub(crate) fn is_json_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        _ => return false,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// A decimal value `±0.d1d2…dn × 10^exp` with no leading or trailing zero
/// digit, or zero (no digits). Ordering is numeric.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Decimal<'a> {
    negative: bool,
    /// Significant digits, as ASCII, split over the integer and fraction text.
    int: &'a [u8],
    frac: &'a [u8],
    /// Decimal exponent of the first significant digit (saturating).
    exp: i64,
}

impl<'a> Decimal<'a> {
    /// Parses JSON number text (also accepts what `serde_json` prints).
    pub(crate) fn parse(s: &'a str) -> Option<Decimal<'a>> {
        let (negative, rest) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let (mantissa, exp_text) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        let (int, frac) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        if int.is_empty()
            || !int.bytes().all(|c| c.is_ascii_digit())
            || !frac.bytes().all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let mut exp: i64 = 0;
        if let Some(e) = exp_text {
            let (neg, digits) = match e.as_bytes().first() {
                Some(b'-') => (true, &e[1..]),
                Some(b'+') => (false, &e[1..]),
                _ => (false, e),
            };
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            for d in digits.bytes() {
                exp = exp.saturating_mul(10).saturating_add(i64::from(d - b'0'));
            }
            // Keep far from i64 bounds so the adjustments below cannot overflow.
            exp = exp.min(i64::MAX / 4);
            if neg {
                exp = -exp;
            }
        }
        let int_b = int.trim_start_matches('0').as_bytes();
        let frac_full = frac.as_bytes();
        let (int_b, frac_b, exp) = if int_b.is_empty() {
            // 0.000ddd: the first significant digit is in the fraction.
            let zeros = frac_full.iter().take_while(|&&c| c == b'0').count();
            let frac_b = trim_trailing_zeros(&frac_full[zeros..]);
            let shift = i64::try_from(zeros).unwrap_or(i64::MAX / 4);
            (int_b, frac_b, exp.saturating_sub(shift))
        } else {
            let len = i64::try_from(int_b.len()).unwrap_or(i64::MAX / 4);
            let frac_b = trim_trailing_zeros(frac_full);
            let (int_b, frac_b) = if frac_b.is_empty() {
                (trim_trailing_zeros(int_b), frac_b)
            } else {
                (int_b, frac_b)
            };
            (int_b, frac_b, exp.saturating_add(len))
        };
        let zero = int_b.is_empty() && frac_b.is_empty();
        Some(Decimal {
            negative: negative && !zero,
            int: int_b,
            frac: frac_b,
            exp: if zero { 0 } else { exp },
        })
    }

    fn is_zero(&self) -> bool {
        self.int.is_empty() && self.frac.is_empty()
    }

    fn digits(&self) -> impl Iterator<Item = u8> + '_ {
        self.int.iter().chain(self.frac.iter()).copied()
    }

    fn cmp_magnitude(&self, other: &Decimal<'_>) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        // Same exponent of the leading digit: compare digit strings, where a
        // missing digit counts as 0 (no trailing zeros are stored).
        self.exp
            .cmp(&other.exp)
            .then_with(|| self.digits().cmp(other.digits()))
    }
}

fn trim_trailing_zeros(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&c| c != b'0').map_or(0, |i| i + 1);
    &b[..end]
}

impl Ord for Decimal<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

impl PartialOrd for Decimal<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn cmp(a: &str, b: &str) -> Ordering {
        Decimal::parse(a).unwrap().cmp(&Decimal::parse(b).unwrap())
    }

    #[test]
    fn compares_decimals_exactly() {
        use Ordering::*;
        for (a, b, want) in [
            ("1", "1.0", Equal),
            ("100", "1e2", Equal),
            ("100", "1E+2", Equal),
            ("0.01", "1e-2", Equal),
            ("-0", "0", Equal),
            ("0.000", "0e5", Equal),
            ("10", "9", Greater),
            ("9.99", "10", Less),
            ("-1", "1", Less),
            ("-2", "-1", Less),
            ("-0.5", "0", Less),
            ("0", "0.0001", Less),
            ("12345678901234567890123", "12345678901234567890124", Less),
            ("0.30000000000000004", "0.3", Greater),
            ("1e999999", "1e999998", Greater),
            (
                "1e99999999999999999999999",
                "1e99999999999999999999998",
                Equal,
            ),
            ("-1e999999", "-1e999998", Less),
            ("1e-999999", "0", Greater),
            ("120", "12e1", Equal),
            ("1.20", "1.2", Equal),
            ("100.5", "1005e-1", Equal),
        ] {
            assert_eq!(cmp(a, b), want, "{a} vs {b}");
            assert_eq!(cmp(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn checks_json_number_syntax() {
        for ok in ["0", "-0", "1", "-12", "1.5", "1e5", "1E+5", "1e-5", "0.0e0"] {
            assert!(is_json_number(ok), "{ok}");
        }
        for bad in [
            "", "-", "01", "1.", ".5", "+1", "1e", "1e+", "0x10", "1.5.5", " 1", "NaN",
        ] {
            assert!(!is_json_number(bad), "{bad}");
        }
    }

    #[test]
    fn converts_to_and_from_other_representations() {
        let n: Number = "1.50".parse().unwrap();
        assert_eq!(n.to_json(), serde_json::Number::from_f64(1.5));
        assert_eq!(Number::from(42_i64).as_i64(), Some(42));
        assert_eq!(Number::from(u64::MAX).to_json(), Some(u64::MAX.into()));
        assert_eq!(Number::try_from(0.1).unwrap().as_str(), "0.1");
        assert_eq!(Number::try_from(1e300).unwrap().as_str(), "1e300");
        assert!(Number::try_from(f64::NAN).is_err());
        let huge: Number = "1e999999".parse().unwrap();
        assert_eq!(huge.as_f64(), None);
        assert_eq!(huge.to_json(), None);
        assert_eq!(
            Number::from(&serde_json::Number::from_f64(2.5).unwrap()).as_str(),
            "2.5"
        );
    }
}
