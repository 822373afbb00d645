//! Rust names for schema names: deterministic, collision-free, never a keyword.

use std::collections::BTreeSet;

/// Rust keywords (strict, reserved and weak ones that cannot be plain
/// identifiers in some position), plus the names the generated items use
/// themselves.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn", "else",
    "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod",
    "move", "mut", "override", "priv", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "try", "type", "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Type names a generated struct or enum must not take: the prelude's, and
/// the `Self` keyword.
const RESERVED_TYPES: &[&str] = &[
    "Self",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Vec",
    "String",
    "Box",
    "Default",
    "Clone",
    "Copy",
    "Debug",
    "PartialEq",
    "Eq",
    "Hash",
    "From",
    "Into",
    "Send",
    "Sync",
    "Sized",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "Iterator",
    "IntoIterator",
    "ToString",
    "ToOwned",
    "AsRef",
    "AsMut",
    "Extend",
];

/// `snake_case` from a CloudFormation name: `VPCId` → `vpc_id`,
/// `IPv6CidrBlock` → `ipv6_cidr_block`, `RoleARNs` → `role_arns`,
/// `S3Bucket` → `s3_bucket`. Anything not alphanumeric separates words.
pub fn snake(name: &str) -> String {
    // Acronyms that a plain case split would break apart.
    let name = name.replace("IPv", "Ipv").replace("IPV", "Ipv");
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next = chars.get(i + 1).copied();
            let after = chars.get(i + 2).copied();
            // A plural acronym (`ARNs`): the `s` belongs to the acronym.
            let plural_acronym = next == Some('s') && after.is_none_or(|a| !a.is_ascii_lowercase());
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || prev.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()) && !plural_acronym;
            if boundary && !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c);
    }
    let out = out.trim_matches('_').to_ascii_lowercase();
    if out.is_empty() {
        return "value".into();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("n{out}");
    }
    out
}

/// `CamelCase` from a snake or mixed name: `global_secondary_index` →
/// `GlobalSecondaryIndex`; an existing CamelCase name is kept.
pub fn camel(name: &str) -> String {
    let mut out = String::new();
    for word in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() {
        return "Value".into();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("V{out}");
    }
    out
}

/// A value or field name that is a keyword gets a trailing underscore (`type_`).
pub fn not_keyword(name: String) -> String {
    if KEYWORDS.contains(&name.as_str()) {
        format!("{name}_")
    } else {
        name
    }
}

/// Whether a type name must be avoided.
pub fn reserved_type(name: &str) -> bool {
    RESERVED_TYPES.contains(&name)
}

/// Hands out names unique in one namespace: a taken name gets the first free
/// numeric suffix (`name_2`, `Name2`), in the order names are asked for.
#[derive(Default)]
pub struct Namespace {
    taken: BTreeSet<String>,
}

impl Namespace {
    pub fn with(reserved: &[&str]) -> Self {
        Namespace {
            taken: reserved.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(name)
    }

    /// `name` if free, else `name` with the first free suffix; `sep` goes
    /// between (`_` for snake names, nothing for types).
    pub fn claim(&mut self, name: &str, sep: &str) -> String {
        let mut candidate = name.to_string();
        let mut n = 2;
        while self.taken.contains(&candidate) {
            candidate = format!("{name}{sep}{n}");
            n += 1;
        }
        self.taken.insert(candidate.clone());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_keeps_acronyms_together() {
        for (from, to) in [
            ("VPCId", "vpc_id"),
            ("IPv6CidrBlock", "ipv6_cidr_block"),
            ("RoleARNs", "role_arns"),
            ("S3Bucket", "s3_bucket"),
            ("DBInstanceIdentifier", "db_instance_identifier"),
            ("QueueName", "queue_name"),
            ("deadLetterTargetArn", "dead_letter_target_arn"),
            ("Ec2KeyName", "ec2_key_name"),
            ("SSESpecification", "sse_specification"),
            ("Tags", "tags"),
            ("KmsKeyID", "kms_key_id"),
            ("ARN", "arn"),
            ("Endpoint.Address", "endpoint_address"),
            ("1stThing", "n1st_thing"),
        ] {
            assert_eq!(snake(from), to, "{from}");
        }
    }

    #[test]
    fn camel_case_from_snake_and_names_clash_deterministically() {
        assert_eq!(camel("global_secondary_index"), "GlobalSecondaryIndex");
        assert_eq!(camel("KeySchema"), "KeySchema");
        assert_eq!(camel("3d_thing"), "V3dThing");
        assert_eq!(not_keyword("type".into()), "type_");
        let mut ns = Namespace::with(&["new"]);
        assert_eq!(ns.claim("new", "_"), "new_2");
        assert_eq!(ns.claim("name", "_"), "name");
        assert_eq!(ns.claim("name", "_"), "name_2");
    }
}
