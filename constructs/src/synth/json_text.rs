//! Writing JSON text directly, byte-for-byte as `serde_json` writes it
//! (`to_string_pretty`: two-space indents, `": "` after keys; compact form
//! without any whitespace), without building a `serde_json::Value` first:
//! synthesis renders expressions straight into the output text.

use std::fmt::Write as _;

/// A JSON text being written, pretty or compact.
pub(crate) struct JsonText {
    pub out: String,
    pretty: bool,
    /// Current nesting depth.
    depth: usize,
    /// Per open container: whether it has an element yet.
    stack: Vec<bool>,
    /// The document is itself the body of a JSON string (Terraform holds IAM
    /// policies and container definitions as JSON text in a string): its
    /// quotes and escapes are escaped once more as they are written, instead
    /// of writing the document and escaping its text afterwards.
    in_string: bool,
}

impl JsonText {
    #[cfg(test)]
    pub fn pretty() -> Self {
        Self::with_depth(true, 0)
    }

    /// A pretty document with room for `bytes` of text.
    pub fn pretty_with_capacity(bytes: usize) -> Self {
        let mut w = Self::with_depth(true, 0);
        w.out.reserve(bytes);
        w
    }

    pub fn compact() -> Self {
        Self::with_depth(false, 0)
    }

    /// A compact document written, escaped, after the text of `out`, which
    /// has just opened a JSON string; the caller closes it. The result is the
    /// compact document's text escaped as a string body (a test holds it to
    /// that).
    pub fn compact_in_string(out: String) -> Self {
        JsonText {
            out,
            in_string: true,
            ..Self::compact()
        }
    }

    /// Whether this document is written inside a JSON string.
    pub fn is_in_string(&self) -> bool {
        self.in_string
    }

    /// A writer for a value that will sit at `depth` inside a pretty document
    /// (its nested lines are indented accordingly; the first line is not).
    pub fn with_depth(pretty: bool, depth: usize) -> Self {
        JsonText {
            out: String::new(),
            pretty,
            depth,
            stack: Vec::new(),
            in_string: false,
        }
    }

    fn newline(&mut self) {
        /// Indentation for 32 levels, copied in one piece (deeper levels take more pieces).
        const SPACES: &str = "                                                                ";
        if self.pretty {
            self.out.push('\n');
            let mut n = 2 * self.depth;
            while n > 0 {
                let k = n.min(SPACES.len());
                self.out.push_str(&SPACES[..k]);
                n -= k;
            }
        }
    }

    /// Before an element of the innermost container.
    fn element(&mut self) {
        if let Some(has) = self.stack.last_mut() {
            if *has {
                self.out.push(',');
            }
            *has = true;
            self.newline();
        }
    }

    pub fn begin_object(&mut self) {
        self.out.push('{');
        self.stack.push(false);
        self.depth += 1;
    }

    pub fn begin_array(&mut self) {
        self.out.push('[');
        self.stack.push(false);
        self.depth += 1;
    }

    fn end(&mut self, close: char) {
        let had = self.stack.pop().unwrap_or(false);
        self.depth -= 1;
        if had {
            self.newline();
        }
        self.out.push(close);
    }

    pub fn end_object(&mut self) {
        self.end('}');
    }

    pub fn end_array(&mut self) {
        self.end(']');
    }

    /// An object key; the value is written next.
    pub fn key(&mut self, k: &str) {
        self.element();
        self.string(k);
        self.out.push_str(if self.pretty { ": " } else { ":" });
    }

    /// Marks the start of a value inside an array (objects' values follow `key`).
    pub fn item(&mut self) {
        self.element();
    }

    pub fn string(&mut self, s: &str) {
        self.string_from(&[s]);
    }

    /// One string made of `parts`, without building it first.
    pub fn string_from(&mut self, parts: &[&str]) {
        if self.in_string {
            self.out.push_str("\\\"");
            for part in parts {
                escape_body_twice(&mut self.out, part);
            }
            self.out.push_str("\\\"");
        } else {
            self.out.push('"');
            for part in parts {
                escape_body(&mut self.out, part);
            }
            self.out.push('"');
        }
    }

    pub fn int(&mut self, n: i64) {
        let _ = write!(self.out, "{n}");
    }

    pub fn float(&mut self, n: f64) {
        self.out
            .push_str(&serde_json::to_string(&n).unwrap_or_else(|_| "null".into()));
    }

    pub fn bool(&mut self, b: bool) {
        self.out.push_str(if b { "true" } else { "false" });
    }

    pub fn null(&mut self) {
        self.out.push_str("null");
    }

    /// A value already written as JSON text by a writer of the same style at
    /// the same depth.
    #[cfg(test)]
    pub fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }
}

/// Appends `s` as a JSON string, escaped exactly as `serde_json` does:
/// `"` and `\` with a backslash, `\b \f \n \r \t` by name, other control
/// characters as `\u00XX` (lowercase hex), everything else as is.
#[cfg(test)]
pub(crate) fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    escape_body(out, s);
    out.push('"');
}

/// Bytes a JSON string cannot hold as they are: control characters, `"` and `\`.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Whether any byte of `bytes` needs escaping, eight bytes at a time: this
/// scan runs over every string of every template, and the word-at-a-time
/// test (exact, no false positives) is about four times cheaper than a table
/// lookup per byte.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Some byte of `v` is zero.
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().expect("chunks of 8"));
        // Some byte is below 0x20, or is `"`, or is `\`.
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0;
        if control || has_zero(x ^ (ONES * b'"' as u64)) || has_zero(x ^ (ONES * b'\\' as u64)) {
            return true;
        }
    }
    words.remainder().iter().any(|&b| NEEDS_ESCAPE[b as usize])
}

/// The escaped characters of a JSON string, without the quotes.
fn escape_body(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    // Most strings need no escaping: one scan, one copy.
    if !needs_escape(bytes) {
        out.push_str(s);
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 0xf) as usize] as char);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// The body of a JSON string holding the JSON text of a string with body
/// `s`: what `escape_body` makes of `escape_body(s)`.
fn escape_body_twice(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    if !needs_escape(bytes) {
        out.push_str(s);
        return;
    }
    let mut once = String::with_capacity(s.len() + 8);
    escape_body(&mut once, s);
    escape_body(out, &once);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The word-at-a-time scan agrees with the byte table for every byte
    /// value at every position of a word and in the tail.
    #[test]
    fn needs_escape_agrees_with_the_table() {
        for b in 0..=255u8 {
            for len in 1..=17 {
                for pos in 0..len {
                    let mut v = vec![b'a'; len];
                    v[pos] = b;
                    assert_eq!(
                        needs_escape(&v),
                        NEEDS_ESCAPE[b as usize],
                        "byte {b:#x} at {pos} of {len}"
                    );
                }
            }
        }
        assert!(!needs_escape(b""));
        assert!(!needs_escape("ünïcödé text with ~ and \u{7f}".as_bytes()));
    }

    /// Writes a serde value through JsonText, to compare with serde's own text.
    fn write(v: &serde_json::Value, w: &mut JsonText) {
        match v {
            serde_json::Value::Null => w.null(),
            serde_json::Value::Bool(b) => w.bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => w.int(i),
                None => w.float(n.as_f64().unwrap()),
            },
            serde_json::Value::String(s) => w.string(s),
            serde_json::Value::Array(a) => {
                w.begin_array();
                for x in a {
                    w.item();
                    write(x, w);
                }
                w.end_array();
            }
            serde_json::Value::Object(m) => {
                w.begin_object();
                for (k, x) in m {
                    w.key(k);
                    write(x, w);
                }
                w.end_object();
            }
        }
    }

    #[test]
    fn output_is_byte_identical_to_serde_json() {
        let v = json!({
            "a": [1, -2, 1.5, true, null, [], {}, [[]], {"b": {}}],
            "s": "quote \" backslash \\ nl \n tab \t cr \r bs \u{8} ff \u{c} nul \u{0} us \u{1f} del \u{7f} é ${x}",
            "e": {"k": [{"x": "y"}]}
        });
        let mut pretty = JsonText::pretty();
        write(&v, &mut pretty);
        assert_eq!(pretty.out, serde_json::to_string_pretty(&v).unwrap());
        let mut compact = JsonText::compact();
        write(&v, &mut compact);
        assert_eq!(compact.out, serde_json::to_string(&v).unwrap());
    }

    /// Indentation deeper than one piece of spaces is still serde's.
    #[test]
    fn deep_documents_are_indented_as_serde_indents_them() {
        let mut v = json!({"leaf": [1, 2]});
        for i in 0..40 {
            v = if i % 2 == 0 { json!([v]) } else { json!({ "k": v }) };
        }
        let mut pretty = JsonText::pretty();
        write(&v, &mut pretty);
        assert_eq!(pretty.out, serde_json::to_string_pretty(&v).unwrap());
    }

    /// A document written inside a string is the escaped text of the
    /// compact document, nested documents and awkward strings included.
    #[test]
    fn a_document_written_inside_a_string_is_its_escaped_text() {
        let v = json!({
            "Statement": [{"Sid": "q\"uote", "Action": ["s3:*"], "Resource": "a\\b\nc\u{1}é"}],
            "doc": serde_json::to_string(&json!({"inner": "x\"y"})).unwrap(),
            "n": [1, -2.5, true, null, {}]
        });
        let mut compact = JsonText::compact();
        write(&v, &mut compact);
        let mut expected = String::from("prefix");
        escape_into(&mut expected, &compact.out);

        let mut inside = JsonText::compact_in_string(String::from("prefix\""));
        write(&v, &mut inside);
        inside.out.push('"');
        assert_eq!(inside.out, expected);
    }

    #[test]
    fn a_value_written_at_a_depth_splices_into_a_pretty_document() {
        let inner = json!({"x": [1, {"y": 2}]});
        let mut part = JsonText::with_depth(true, 2);
        write(&inner, &mut part);
        let mut doc = JsonText::pretty();
        doc.begin_object();
        doc.key("outer");
        doc.begin_object();
        doc.key("inner");
        doc.raw(&part.out);
        doc.end_object();
        doc.end_object();
        assert_eq!(
            doc.out,
            serde_json::to_string_pretty(&json!({"outer": {"inner": inner}})).unwrap()
        );
    }
}
