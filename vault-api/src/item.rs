//! The vault's domain types: item ids, stored items, entity tags and the
//! HTTP preconditions (`If-Match` / `If-None-Match`) evaluated against them.

use std::fmt;

use serde_json::value::RawValue;

/// Longest accepted item id, in characters. Long enough for UUIDs, ULIDs and
/// human-chosen slugs, short enough to keep keys and log lines small.
pub const MAX_ID_LEN: usize = 128;

/// An item id: 1–128 characters of `[A-Za-z0-9._-]`, not all of them dots.
///
/// The restricted alphabet keeps ids safe in URLs, logs and DynamoDB keys
/// without any escaping. Ids made only of dots (`.`, `..`, `...`) are refused
/// because URL resolution (RFC 3986 §5.2.4) removes the `.` and `..` segments:
/// an item stored under such an id would get a `Location` that clients
/// normalise to another path, so it could be neither read nor deleted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemId(String);

/// Why a string is not an [`ItemId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidId;

impl ItemId {
    /// Validates `raw` as an id.
    pub fn parse(raw: &str) -> Result<Self, InvalidId> {
        let valid_len = (1..=MAX_ID_LEN).contains(&raw.len());
        let valid_chars = raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        let only_dots = raw.bytes().all(|b| b == b'.');
        if valid_len && valid_chars && !only_dots {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidId)
        }
    }

    /// A fresh server-side id: a random (v4) UUID, unguessable so ids cannot
    /// be enumerated.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().hyphenated().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An item as the stores keep it.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: ItemId,
    /// Counts writes since the item was created (1 on creation).
    pub version: u64,
    /// Random token renewed on every write. Together with `version` it forms
    /// the entity tag; the random part means a deleted and re-created item
    /// never reuses an old tag, so a stale `If-Match` cannot hit the new item.
    pub revision: String,
    /// RFC 3339 UTC timestamp of creation.
    pub created_at: String,
    /// RFC 3339 UTC timestamp of the last write.
    pub updated_at: String,
    /// The JSON document, stored verbatim as the client sent it.
    pub data: Box<RawValue>,
}

impl Item {
    /// The entity tag of this version of the item.
    pub fn etag(&self) -> Etag {
        Etag {
            version: self.version,
            revision: self.revision.clone(),
        }
    }
}

/// A fresh revision token: 64 random bits as 16 hex digits.
pub fn new_revision() -> String {
    format!("{:016x}", uuid::Uuid::new_v4().as_u64_pair().0)
}

/// The current time as an RFC 3339 UTC timestamp with millisecond precision.
pub fn now_timestamp() -> String {
    format_timestamp(time::OffsetDateTime::now_utc())
}

/// Formats `at` as `YYYY-MM-DDTHH:MM:SS.mmmZ`, always exactly three fractional digits.
///
/// The width is fixed so that timestamps sort as strings in time order; `time`'s well-known
/// RFC 3339 format trims trailing zeros (`.9Z` for 900 ms), which sorts after `.905Z`.
pub fn format_timestamp(at: time::OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// A strong entity tag, `"<version>-<revision>"` on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Etag {
    pub version: u64,
    pub revision: String,
}

impl Etag {
    /// Parses the opaque part of an entity tag (without quotes or `W/`).
    /// Returns `None` for tags this service never issued: they match nothing.
    fn parse_opaque(opaque: &str) -> Option<Self> {
        let (version, revision) = opaque.split_once('-')?;
        let version = version.parse().ok()?;
        let hex = revision.len() == 16 && revision.bytes().all(|b| b.is_ascii_hexdigit());
        hex.then(|| Etag {
            version,
            revision: revision.to_ascii_lowercase(),
        })
    }
}

impl fmt::Display for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        EtagText {
            version: self.version,
            revision: &self.revision,
        }
        .fmt(f)
    }
}

/// An entity tag's text, `"<version>-<revision>"`, from borrowed parts: the
/// one place the format is written (responses use it without cloning the
/// revision into an [`Etag`]).
pub struct EtagText<'a> {
    pub version: u64,
    pub revision: &'a str,
}

impl fmt::Display for EtagText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}-{}\"", self.version, self.revision)
    }
}

/// The most entity tags accepted in one `If-Match`/`If-None-Match` header.
/// Real clients send one; the bound keeps the DynamoDB condition expression
/// (two comparisons per tag) far below DynamoDB's 4 KB expression limit.
pub const MAX_ETAGS_PER_HEADER: usize = 16;

/// The value of an `If-Match` or `If-None-Match` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EtagMatch {
    /// `*`: matches any current version.
    Any,
    /// A list of tags; tags this service never issued are dropped, so the
    /// list may be empty (and then matches nothing).
    Tags(Vec<Etag>),
}

/// Why a conditional header could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidPrecondition {
    NotAscii,
    Empty,
    TooManyTags,
}

impl EtagMatch {
    /// Parses a header value. `strong` selects strong comparison (`If-Match`,
    /// where weak tags never match) over weak comparison (`If-None-Match`).
    pub fn parse(value: &[u8], strong: bool) -> Result<Self, InvalidPrecondition> {
        let text = std::str::from_utf8(value).map_err(|_| InvalidPrecondition::NotAscii)?;
        let text = text.trim();
        if text == "*" {
            return Ok(EtagMatch::Any);
        }
        let mut tags = Vec::new();
        let mut count = 0;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            count += 1;
            if count > MAX_ETAGS_PER_HEADER {
                return Err(InvalidPrecondition::TooManyTags);
            }
            let (weak, rest) = match part.strip_prefix("W/") {
                Some(rest) => (true, rest),
                None => (false, part),
            };
            if weak && strong {
                continue;
            }
            // Accept unquoted tags too: people paste them by hand.
            let opaque = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(rest);
            if let Some(tag) = Etag::parse_opaque(opaque) {
                tags.push(tag);
            }
        }
        if count == 0 {
            return Err(InvalidPrecondition::Empty);
        }
        Ok(EtagMatch::Tags(tags))
    }

    fn matches(&self, current: &Etag) -> bool {
        match self {
            EtagMatch::Any => true,
            EtagMatch::Tags(tags) => tags.contains(current),
        }
    }
}

/// The preconditions of a write, from its `If-Match` / `If-None-Match`
/// headers. Stores evaluate them atomically with the write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preconditions {
    pub if_match: Option<EtagMatch>,
    pub if_none_match: Option<EtagMatch>,
}

impl Preconditions {
    /// `If-None-Match: *`: the write may only create.
    pub fn create_only() -> Self {
        Self {
            if_match: None,
            if_none_match: Some(EtagMatch::Any),
        }
    }

    /// Whether a write may proceed given the item's current tag (`None` when
    /// the item does not exist), per RFC 9110 §13.1.1–13.1.2.
    pub fn allow(&self, current: Option<&Etag>) -> bool {
        let match_ok = match (&self.if_match, current) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(m), Some(tag)) => m.matches(tag),
        };
        let none_match_ok = match (&self.if_none_match, current) {
            (None, _) | (Some(_), None) => true,
            (Some(m), Some(tag)) => !m.matches(tag),
        };
        match_ok && none_match_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_the_documented_alphabet_and_length() {
        assert!(ItemId::parse("a").is_ok());
        assert!(ItemId::parse("Az09._-").is_ok());
        assert!(ItemId::parse(&"x".repeat(128)).is_ok());
        assert!(ItemId::parse(&"x".repeat(129)).is_err());
        assert!(ItemId::parse("").is_err());
        assert!(ItemId::parse("a b").is_err());
        assert!(ItemId::parse("a/b").is_err());
        assert!(ItemId::parse("é").is_err());
    }

    #[test]
    fn ids_made_only_of_dots_are_refused() {
        for dots in [".", "..", "...", &".".repeat(128)] {
            assert!(ItemId::parse(dots).is_err(), "{dots}");
        }
        for fine in [".a", "a.", "..a", "a..b", "v1.2"] {
            assert!(ItemId::parse(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn generated_ids_are_valid_and_distinct() {
        let a = ItemId::generate();
        let b = ItemId::generate();
        assert_ne!(a, b);
        assert!(ItemId::parse(a.as_str()).is_ok());
    }

    #[test]
    fn etags_round_trip_through_if_match() {
        let tag = Etag {
            version: 7,
            revision: new_revision(),
        };
        let parsed = EtagMatch::parse(tag.to_string().as_bytes(), true).unwrap();
        assert_eq!(parsed, EtagMatch::Tags(vec![tag]));
    }

    #[test]
    fn weak_tags_never_match_strongly_but_do_weakly() {
        let tag = Etag {
            version: 1,
            revision: "00112233445566ff".into(),
        };
        let header = format!("W/{tag}");
        assert_eq!(
            EtagMatch::parse(header.as_bytes(), true).unwrap(),
            EtagMatch::Tags(vec![])
        );
        assert_eq!(
            EtagMatch::parse(header.as_bytes(), false).unwrap(),
            EtagMatch::Tags(vec![tag])
        );
    }

    #[test]
    fn preconditions_follow_rfc_9110() {
        let tag = Etag {
            version: 2,
            revision: "00112233445566ff".into(),
        };
        let other = Etag {
            version: 3,
            revision: "00112233445566ff".into(),
        };
        let if_match = |m| Preconditions {
            if_match: Some(m),
            if_none_match: None,
        };
        let if_none = |m| Preconditions {
            if_match: None,
            if_none_match: Some(m),
        };
        assert!(Preconditions::default().allow(None));
        assert!(if_match(EtagMatch::Any).allow(Some(&tag)));
        assert!(!if_match(EtagMatch::Any).allow(None));
        assert!(if_match(EtagMatch::Tags(vec![tag.clone()])).allow(Some(&tag)));
        assert!(!if_match(EtagMatch::Tags(vec![tag.clone()])).allow(Some(&other)));
        assert!(if_none(EtagMatch::Any).allow(None));
        assert!(!if_none(EtagMatch::Any).allow(Some(&tag)));
        assert!(if_none(EtagMatch::Tags(vec![tag.clone()])).allow(Some(&other)));
        assert!(!if_none(EtagMatch::Tags(vec![tag.clone()])).allow(Some(&tag)));
    }

    #[test]
    fn too_many_tags_are_rejected() {
        let header = vec!["\"1-00112233445566ff\""; MAX_ETAGS_PER_HEADER + 1].join(", ");
        assert_eq!(
            EtagMatch::parse(header.as_bytes(), true),
            Err(InvalidPrecondition::TooManyTags)
        );
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let ts = now_timestamp();
        assert!(ts.ends_with('Z'), "{ts}");
        time::OffsetDateTime::parse(&ts, &time::format_description::well_known::Rfc3339).unwrap();
    }

    #[test]
    fn timestamps_have_fixed_width_and_sort_in_time_order() {
        let base = time::OffsetDateTime::from_unix_timestamp(1_795_818_475).unwrap(); // 2026-11-27T22:27:55Z
        let stamps: Vec<String> = [0, 5, 90, 900, 905, 999]
            .into_iter()
            .map(|ms| format_timestamp(base + time::Duration::milliseconds(ms)))
            .collect();
        assert_eq!(stamps[0], "2026-11-27T22:27:55.000Z");
        assert_eq!(stamps[3], "2026-11-27T22:27:55.900Z");
        assert!(stamps.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");
        for ts in &stamps {
            time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339).unwrap();
        }
        let offset = base.to_offset(time::UtcOffset::from_hms(2, 0, 0).unwrap());
        assert_eq!(format_timestamp(offset), "2026-11-27T22:27:55.000Z");
    }
}
