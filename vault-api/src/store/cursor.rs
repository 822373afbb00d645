//! Opaque pagination cursors.
//!
//! A cursor names the last item of the previous page; the next page starts
//! strictly after it in the store's key order: id order on the embedded store,
//! the hash order of DynamoDB's `Scan` (which resumes from an
//! `ExclusiveStartKey` built from the id) on DynamoDB. Either way the position
//! is defined by the key alone, so a cursor stays valid even if that item is
//! deleted meanwhile. On the wire it
//! is hex with a version prefix, so clients treat it as opaque and the format
//! can change without breaking old links silently.

use crate::item::ItemId;

const PREFIX: &str = "c1";

/// Where a listing resumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    after: ItemId,
}

/// A cursor string that this service did not issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidCursor;

impl Cursor {
    /// A cursor resuming after `id`.
    pub fn after(id: &ItemId) -> Self {
        Self { after: id.clone() }
    }

    /// The last id of the previous page.
    pub fn last_id(&self) -> &ItemId {
        &self.after
    }

    /// The wire form.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(PREFIX.len() + 2 * self.after.as_str().len());
        out.push_str(PREFIX);
        for b in self.after.as_str().bytes() {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }

    /// Parses the wire form.
    pub fn decode(raw: &str) -> Result<Self, InvalidCursor> {
        let hex = raw.strip_prefix(PREFIX).ok_or(InvalidCursor)?;
        if hex.len() % 2 != 0 || !hex.is_ascii() {
            return Err(InvalidCursor);
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| InvalidCursor))
            .collect::<Result<Vec<u8>, _>>()?;
        let text = String::from_utf8(bytes).map_err(|_| InvalidCursor)?;
        let after = ItemId::parse(&text).map_err(|_| InvalidCursor)?;
        Ok(Self { after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let id = ItemId::parse("abc-123_X.y").unwrap();
        let cursor = Cursor::after(&id);
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
    }

    #[test]
    fn foreign_cursors_are_rejected() {
        for bad in ["", "c1", "zz", "c1zz", "c1616", "c1 6", "c12f", "61"] {
            assert_eq!(Cursor::decode(bad), Err(InvalidCursor), "{bad:?}");
        }
    }
}
