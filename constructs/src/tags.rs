//! Resource tags, applied stack-wide or per construct in both backends.

use indexmap::IndexMap;

use crate::problem::Checker;

/// An ordered set of tags; a later insert with the same key replaces the value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tags(IndexMap<String, String>);

impl Tags {
    pub fn insert(&mut self, key: &str, value: &str) {
        self.0.insert(key.to_string(), value.to_string());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// `self` with `over`'s tags layered on top.
    pub fn merged(&self, over: &Tags) -> Tags {
        let mut out = self.clone();
        for (k, v) in over.iter() {
            out.insert(k, v);
        }
        out
    }

    /// AWS limits: keys 1–128 characters, values at most 256, and the `aws:`
    /// prefix is reserved for AWS.
    pub(crate) fn check(&self, c: &mut Checker<'_>) {
        for (k, v) in self.iter() {
            let key_len = k.chars().count();
            c.ensure((1..=128).contains(&key_len), "tag-key-length", || {
                format!("tag key {k:?} is {key_len} characters; keys must be 1-128")
            });
            c.ensure(v.chars().count() <= 256, "tag-value-length", || {
                format!("tag value for {k:?} is longer than 256 characters")
            });
            c.ensure(!k.to_ascii_lowercase().starts_with("aws:"), "tag-key-reserved", || {
                format!("tag key {k:?} uses the prefix 'aws:', which is reserved for AWS")
            });
        }
    }
}
