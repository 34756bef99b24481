//! Opaque paging cursors (RFC 9865): a store [`Position`] sealed to the
//! query and tenant it was minted for.
//!
//! A cursor is the URL-safe base64 (no padding) of
//!
//! ```text
//! version (1 byte) | position | seal (12 bytes)
//! position = key | created | id
//! key      = 0 (none) | 1 text: u32 length, UTF-8 | 2 number: f64 bits
//!          | 3 boolean: 0 or 1 | 4 instant: i64 seconds, u32 nanoseconds
//! created  = i64 seconds, u32 nanoseconds
//! id       = u16 length, UTF-8
//! ```
//!
//! integers big-endian, where the seal is the start of the SHA-256 of the
//! query's binding (tenant, kind, canonical filter, sort attribute and
//! order) followed by everything before the seal. A cursor presented with
//! another filter or sort, by another tenant, truncated or altered fails
//! the seal and is refused. The seal is a checksum, not a signature: a
//! client that forges one only chooses where its own query starts, since
//! the store scopes every query to the caller's tenant.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::model::{Position, ResourceKind, SortOrder, SortValue, TenantId};

/// The format version, first byte of every cursor.
const VERSION: u8 = 1;
/// Bytes of the seal.
const SEAL: usize = 12;
/// Longer cursors are refused before decoding: this server mints none
/// (a key is at most a few kilobytes of text).
const MAX_CHARS: usize = 8192;

/// What a cursor is sealed to: the query's identity, without paging.
pub(crate) struct Binding(Vec<u8>);

impl Binding {
    /// The binding of a query of `kind` for `tenant`, from the canonical
    /// printed forms of its filter and sort, so that spacing and the case
    /// of operators (`userName EQ "x"`) do not tell queries apart.
    pub(crate) fn new(
        tenant: &TenantId,
        kind: ResourceKind,
        filter: Option<&scim_filter::Filter>,
        sort_by: Option<&scim_filter::AttrPath>,
        sort_order: SortOrder,
    ) -> Self {
        let mut out = Vec::new();
        // Length-prefixed fields: no two bindings share one byte string.
        let mut field = |bytes: &[u8]| {
            out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            out.extend_from_slice(bytes);
        };
        field(b"scim-cursor");
        field(tenant.as_str().as_bytes());
        field(kind.as_str().as_bytes());
        field(
            filter
                .map(ToString::to_string)
                .unwrap_or_default()
                .as_bytes(),
        );
        field(
            sort_by
                .map(ToString::to_string)
                .unwrap_or_default()
                .as_bytes(),
        );
        field(match sort_order {
            SortOrder::Ascending => b"ascending",
            SortOrder::Descending => b"descending",
        });
        Binding(out)
    }

    fn seal(&self, body: &[u8]) -> [u8; SEAL] {
        let digest = Sha256::new()
            .chain_update(&self.0)
            .chain_update(body)
            .finalize();
        let mut seal = [0; SEAL];
        seal.copy_from_slice(&digest[..SEAL]);
        seal
    }
}

/// The cursor of `position` for the query of `binding`.
pub(crate) fn encode(position: &Position, binding: &Binding) -> String {
    let mut body = vec![VERSION];
    match &position.key {
        None => body.push(0),
        Some(SortValue::Text(text)) => {
            body.push(1);
            // A key longer than 4 GiB cannot come out of a store.
            let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
            body.extend_from_slice(&len.to_be_bytes());
            body.extend_from_slice(text.as_bytes());
        }
        Some(SortValue::Number(n)) => {
            body.push(2);
            body.extend_from_slice(&n.to_bits().to_be_bytes());
        }
        Some(SortValue::Boolean(b)) => {
            body.push(3);
            body.push(u8::from(*b));
        }
        Some(SortValue::Instant(at)) => {
            body.push(4);
            instant(&mut body, at);
        }
    }
    instant(&mut body, &position.created);
    let id_len = u16::try_from(position.id.len()).unwrap_or(u16::MAX);
    body.extend_from_slice(&id_len.to_be_bytes());
    body.extend_from_slice(position.id.as_bytes());
    let seal = binding.seal(&body);
    body.extend_from_slice(&seal);
    base64url::encode(&body)
}

fn instant(out: &mut Vec<u8>, at: &DateTime<Utc>) {
    out.extend_from_slice(&at.timestamp().to_be_bytes());
    out.extend_from_slice(&at.timestamp_subsec_nanos().to_be_bytes());
}

/// The position in `token`, if it is a cursor minted by [`encode`] for
/// the same binding. Never panics, whatever the input.
pub(crate) fn decode(token: &str, binding: &Binding) -> Option<Position> {
    if token.len() > MAX_CHARS {
        return None;
    }
    let bytes = base64url::decode(token)?;
    let split = bytes.len().checked_sub(SEAL)?;
    let (body, seal) = bytes.split_at(split);
    if body.first() != Some(&VERSION) || binding.seal(body) != seal {
        return None;
    }
    let mut reader = Reader(&body[1..]);
    let key = match reader.byte()? {
        0 => None,
        1 => {
            let len = usize::try_from(u32::from_be_bytes(reader.array()?)).ok()?;
            Some(SortValue::Text(reader.text(len)?))
        }
        2 => Some(SortValue::Number(f64::from_bits(u64::from_be_bytes(
            reader.array()?,
        )))),
        3 => match reader.byte()? {
            0 => Some(SortValue::Boolean(false)),
            1 => Some(SortValue::Boolean(true)),
            _ => return None,
        },
        4 => Some(SortValue::Instant(reader.instant()?)),
        _ => return None,
    };
    let created = reader.instant()?;
    let id_len = usize::from(u16::from_be_bytes(reader.array()?));
    let id = reader.text(id_len)?;
    reader.0.is_empty().then_some(Position { key, created, id })
}

/// Reads a cursor body front to back; every read checks the length left.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn text(&mut self, len: usize) -> Option<String> {
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }

    fn instant(&mut self) -> Option<DateTime<Utc>> {
        let seconds = i64::from_be_bytes(self.array()?);
        let nanos = u32::from_be_bytes(self.array()?);
        if nanos >= 1_000_000_000 {
            return None;
        }
        DateTime::from_timestamp(seconds, nanos)
    }
}

/// URL-safe base64 without padding (RFC 4648 §5): only unreserved URI
/// characters, as RFC 9865 §2 requires of cursors. Decoding is strict, so
/// that each byte string has exactly one spelling.
mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub(super) fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            }
        }
        out
    }

    fn value(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        }))
    }

    pub(super) fn decode(text: &str) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
        for chunk in text.as_bytes().chunks(4) {
            // One character alone carries less than a byte.
            if chunk.len() == 1 {
                return None;
            }
            let mut n = 0u32;
            for (i, c) in chunk.iter().enumerate() {
                n |= value(*c)? << (18 - 6 * i);
            }
            let bytes = chunk.len() - 1;
            // Bits below the last whole byte must be zero: one spelling only.
            if n & ((1 << (24 - 8 * bytes)) - 1) != 0 {
                return None;
            }
            out.extend((0..bytes).map(|i| (n >> (16 - 8 * i)) as u8));
        }
        Some(out)
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn round_trips_every_length_and_refuses_non_canonical_text() {
            let data: Vec<u8> = (0..=255).collect();
            for len in 0..40 {
                let encoded = super::encode(&data[..len]);
                assert!(!encoded.contains('='));
                assert_eq!(super::decode(&encoded).as_deref(), Some(&data[..len]));
            }
            assert_eq!(super::encode(b"\xfb\xff"), "-_8");
            assert_eq!(super::decode("TWFu").as_deref(), Some(&b"Man"[..]));
            assert_eq!(super::decode("TWE").as_deref(), Some(&b"Ma"[..]));
            // "TWF" is "Ma" with stray low bits; "=" is not in the alphabet.
            for bad in ["A", "TWFuA", "TWE=", "TW+u", "TW/u", "TWF", "TWB"] {
                assert_eq!(super::decode(bad), None, "{bad}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(filter: Option<&str>) -> Binding {
        let filter = filter.map(|f| scim_filter::parse(f).unwrap());
        Binding::new(
            &TenantId("t1".to_owned()),
            ResourceKind::User,
            filter.as_ref(),
            None,
            SortOrder::Ascending,
        )
    }

    fn positions() -> Vec<Position> {
        let at = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        let keys = [
            None,
            Some(SortValue::Text("zoë@example.com".to_owned())),
            Some(SortValue::Text(String::new())),
            Some(SortValue::Number(-2.5)),
            Some(SortValue::Boolean(true)),
            Some(SortValue::Instant(DateTime::from_timestamp(-5, 1).unwrap())),
        ];
        keys.into_iter()
            .map(|key| Position {
                key,
                created: at,
                id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".to_owned(),
            })
            .collect()
    }

    #[test]
    fn positions_round_trip_through_url_safe_text() {
        let b = binding(Some(r#"userName sw "a""#));
        for position in positions() {
            let token = encode(&position, &b);
            assert!(
                token
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
                "{token}"
            );
            assert_eq!(decode(&token, &b), Some(position));
        }
    }

    #[test]
    fn a_cursor_binds_its_query_and_tenant() {
        let position = positions().remove(1);
        let token = encode(&position, &binding(Some(r#"userName sw "a""#)));
        // Spacing and the case of operators are not part of the query.
        assert!(decode(&token, &binding(Some(r#"userName  SW "a""#))).is_some());
        assert!(decode(&token, &binding(Some(r#"userName sw "b""#))).is_none());
        assert!(decode(&token, &binding(None)).is_none());
        let parse = |f: &str| scim_filter::parse(f).unwrap();
        let other = |tenant: &str, kind, sort: Option<&str>, order| {
            let path = sort.map(|p| scim_filter::parse_path(p).unwrap().attr);
            Binding::new(
                &TenantId(tenant.to_owned()),
                kind,
                Some(&parse(r#"userName sw "a""#)),
                path.as_ref(),
                order,
            )
        };
        let asc = SortOrder::Ascending;
        assert!(decode(&token, &other("t1", ResourceKind::User, None, asc)).is_some());
        for wrong in [
            other("t2", ResourceKind::User, None, asc),
            other("t1", ResourceKind::Group, None, asc),
            other("t1", ResourceKind::User, Some("userName"), asc),
            other("t1", ResourceKind::User, None, SortOrder::Descending),
        ] {
            assert!(decode(&token, &wrong).is_none());
        }
    }

    #[test]
    fn every_truncation_and_every_altered_character_is_refused() {
        let b = binding(None);
        for position in positions() {
            let token = encode(&position, &b);
            for end in 0..token.len() {
                assert!(decode(&token[..end], &b).is_none(), "{end}");
            }
            for (i, original) in token.char_indices() {
                for replacement in ['A', 'z', '0', '-', '_', '.', '~', '%', ' '] {
                    if replacement == original {
                        continue;
                    }
                    let mut altered = token.clone();
                    altered.replace_range(i..=i, &replacement.to_string());
                    assert!(decode(&altered, &b).is_none(), "{altered}");
                }
            }
            assert!(decode(&format!("{token}A"), &b).is_none());
            assert!(decode(&format!("{token}AA"), &b).is_none());
        }
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        let b = binding(None);
        let long = "A".repeat(MAX_CHARS + 4);
        for garbage in [
            "",
            "x",
            "not-a-cursor",
            "////",
            "💥",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            long.as_str(),
        ] {
            assert!(decode(garbage, &b).is_none(), "{garbage}");
        }
        // Well-sealed bodies that are not positions: bad tags, lengths,
        // UTF-8, instants and trailing bytes.
        let at = [0u8; 12];
        let bodies: [Vec<u8>; 7] = [
            vec![VERSION],
            [vec![VERSION, 9], at.to_vec(), vec![0, 0]].concat(),
            [vec![VERSION, 1, 255, 255, 255, 255], at.to_vec()].concat(),
            [vec![VERSION, 1, 0, 0, 0, 1, 0xff], at.to_vec(), vec![0, 0]].concat(),
            [vec![VERSION, 0], vec![0; 8], vec![255; 4], vec![0, 0]].concat(),
            [vec![VERSION, 3, 2], at.to_vec(), vec![0, 0]].concat(),
            [vec![VERSION, 0], at.to_vec(), vec![0, 0, 7]].concat(),
        ];
        for body in bodies {
            let mut sealed = body.clone();
            sealed.extend_from_slice(&b.seal(&body));
            assert!(
                decode(&base64url::encode(&sealed), &b).is_none(),
                "{body:?}"
            );
        }
        let mut other_version = vec![VERSION + 1, 0];
        other_version.extend_from_slice(&at);
        other_version.extend_from_slice(&[0, 0]);
        let seal = b.seal(&other_version);
        other_version.extend_from_slice(&seal);
        assert!(decode(&base64url::encode(&other_version), &b).is_none());
    }
}
