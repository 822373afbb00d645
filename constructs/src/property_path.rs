//! Paths to a property inside a rendered block, for overrides and schema
//! checks: `Properties.Rules[0].Name` or the JSON Pointer
//! `/Properties/Rules/0/Name`.

use std::fmt;

/// One step of a [`PropertyPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Segment {
    /// An object key.
    Key(String),
    /// A list element, counted from 0.
    Index(usize),
}

/// A parsed path into a block.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PropertyPath(pub Vec<Segment>);

impl PropertyPath {
    /// Parses `a.b[2].c` (dots between keys, `[n]` for list elements) or, when it
    /// starts with `/`, a JSON Pointer (RFC 6901: `~1` is `/`, `~0` is `~`;
    /// a segment of digits is a list index). Keys with dots or brackets need
    /// the pointer form.
    pub fn parse(text: &str) -> Result<PropertyPath, String> {
        if text.starts_with('/') {
            return Self::parse_pointer(text);
        }
        let mut out = Vec::new();
        let mut rest = text;
        if rest.is_empty() {
            return Err("the path is empty".into());
        }
        loop {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = &rest[..end];
            if key.is_empty() && !(rest.starts_with('[') && !out.is_empty()) {
                return Err(format!("{text:?} has an empty property name"));
            }
            if !key.is_empty() {
                if key.contains(']') {
                    return Err(format!("{text:?} has an unmatched ']'"));
                }
                out.push(Segment::Key(key.to_string()));
            }
            rest = &rest[end..];
            while let Some(after) = rest.strip_prefix('[') {
                let close = after.find(']').ok_or_else(|| format!("{text:?} has an unclosed '['"))?;
                let n: usize = after[..close]
                    .parse()
                    .map_err(|_| format!("{text:?}: [{}] is not a list index", &after[..close]))?;
                out.push(Segment::Index(n));
                rest = &after[close + 1..];
            }
            match rest.strip_prefix('.') {
                Some(r) => rest = r,
                None if rest.is_empty() => break,
                None => return Err(format!("{text:?}: expected '.' or '[' before {rest:?}")),
            }
        }
        Ok(PropertyPath(out))
    }

    fn parse_pointer(text: &str) -> Result<PropertyPath, String> {
        let mut out = Vec::new();
        for raw in text[1..].split('/') {
            let seg = raw.replace("~1", "/").replace("~0", "~");
            if seg.is_empty() {
                return Err(format!("{text:?} has an empty segment"));
            }
            match seg.parse::<usize>() {
                Ok(n) if seg.chars().all(|c| c.is_ascii_digit()) => out.push(Segment::Index(n)),
                _ => out.push(Segment::Key(seg)),
            }
        }
        Ok(PropertyPath(out))
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }
}

impl fmt::Display for PropertyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Segment::Key(k) if i == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Segment {
        Segment::Key(k.into())
    }

    #[test]
    fn dotted_paths_with_indexes_and_json_pointers_parse_to_the_same_segments() {
        let expected = PropertyPath(vec![key("Properties"), key("Rules"), Segment::Index(2), key("Name")]);
        assert_eq!(PropertyPath::parse("Properties.Rules[2].Name").unwrap(), expected);
        assert_eq!(PropertyPath::parse("/Properties/Rules/2/Name").unwrap(), expected);
        assert_eq!(expected.to_string(), "Properties.Rules[2].Name");
        assert_eq!(
            PropertyPath::parse("a[0][1]").unwrap().0,
            [key("a"), Segment::Index(0), Segment::Index(1)]
        );
        assert_eq!(PropertyPath::parse("/a~1b/c~0d").unwrap().0, [key("a/b"), key("c~d")]);
    }

    #[test]
    fn malformed_paths_say_what_is_wrong() {
        for bad in ["", "a..b", "a[", "a[x]", "a]b", ".a", "a.", "a[0]b", "//a"] {
            assert!(PropertyPath::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }
}
