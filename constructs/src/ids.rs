//! Logical ids (CloudFormation) and resource names (Terraform), derived from paths.
//!
//! Both are pure functions of the construct's path below its stack, so they are
//! stable when unrelated constructs come and go, and readable:
//! `Vault/Service/TaskRole` becomes `ServiceTaskRole` and `service_task_role`.
//! Unlike AWS CDK there is no hash suffix; two paths that map to the same id are
//! reported as a collision naming both, never silently renamed.
//!
//! Components named `Default` or `Resource` are skipped, so a resource can be
//! wrapped in a construct later without its address (and so the deployed
//! resource) changing.

/// Path components that do not contribute to ids.
const TRANSPARENT: [&str; 2] = ["Default", "Resource"];

fn visible(components: &[String]) -> impl Iterator<Item = &str> {
    components
        .iter()
        .map(String::as_str)
        .filter(|c| !TRANSPARENT.contains(c))
}

/// Splits a component into words at separators and lower-to-upper case changes:
/// `vault-api` → [vault, api], `TaskRole` → [Task, Role], `HTTPPort` → [HTTP, Port].
/// Words are ASCII letters and digits only, so each is a slice of the
/// component: ids are derived for every construct on every synthesis, and
/// this allocates nothing.
fn for_each_word<'a>(component: &'a str, mut f: impl FnMut(&'a str)) {
    let b = component.as_bytes();
    // Start of the current word, if one is open.
    let mut start: Option<usize> = None;
    for (i, &c) in b.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if let Some(s) = start.take() {
                f(&component[s..i]);
            }
            continue;
        }
        // Non-ASCII characters are separators; their bytes are neither
        // letters nor digits, so neighbouring bytes decide as characters would.
        let prev = i.checked_sub(1).map(|j| b[j]);
        let next = b.get(i + 1).copied();
        let boundary = c.is_ascii_uppercase()
            && start.is_some()
            && (prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(|p| p.is_ascii_uppercase()) && next.is_some_and(|n| n.is_ascii_lowercase())));
        match start {
            Some(s) if boundary => {
                f(&component[s..i]);
                start = Some(i);
            }
            Some(_) => {}
            None => start = Some(i),
        }
    }
    if let Some(s) = start {
        f(&component[s..]);
    }
}

/// CloudFormation logical id: each word capitalized, everything else kept,
/// non-alphanumerics dropped. `["Service", "task-role"]` → `ServiceTaskRole`.
pub fn logical_id(components: &[String]) -> String {
    let mut id = String::new();
    for component in visible(components) {
        for_each_word(component, |word| {
            let (first, rest) = word.split_at(1);
            id.push(first.as_bytes()[0].to_ascii_uppercase() as char);
            id.push_str(rest);
        });
    }
    id
}

/// Terraform resource name: lower snake case of every word.
/// `["Service", "TaskRole"]` → `service_task_role`.
pub fn terraform_name(components: &[String]) -> String {
    let mut name = String::new();
    for component in visible(components) {
        for_each_word(component, |word| {
            if !name.is_empty() {
                name.push('_');
            }
            name.extend(word.bytes().map(|b| b.to_ascii_lowercase() as char));
        });
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    /// The words as the first, char-by-char version split them.
    fn words_one_char_at_a_time(component: &str) -> Vec<String> {
        let chars: Vec<char> = component.chars().collect();
        let mut out = Vec::new();
        let mut cur = String::new();
        for (i, &c) in chars.iter().enumerate() {
            if !c.is_ascii_alphanumeric() {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                continue;
            }
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let boundary = c.is_ascii_uppercase()
                && !cur.is_empty()
                && (prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
                    || (prev.is_some_and(|p| p.is_ascii_uppercase()) && next.is_some_and(|n| n.is_ascii_lowercase())));
            if boundary {
                out.push(std::mem::take(&mut cur));
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            out.push(cur);
        }
        out
    }

    #[test]
    fn words_are_split_as_characters_would_split_them() {
        let alphabet = ["a", "B", "7", "-", "é", "Ü", "_", ".", "x", "Y", "ß"];
        let mut inputs: Vec<String> = vec![
            "HTTPListener".into(),
            "vault-api".into(),
            "ÄpfelBaum".into(),
            "aÜb".into(),
            "ABCdefGHI9j".into(),
            String::new(),
        ];
        // Every string of up to four symbols of the alphabet.
        let mut layer: Vec<String> = vec![String::new()];
        for _ in 0..4 {
            layer = layer
                .iter()
                .flat_map(|p| alphabet.iter().map(move |a| format!("{p}{a}")))
                .collect();
            inputs.extend(layer.iter().cloned());
        }
        for input in &inputs {
            let mut got = Vec::new();
            for_each_word(input, |w| got.push(w.to_string()));
            assert_eq!(got, words_one_char_at_a_time(input), "{input:?}");
        }
    }

    #[test]
    fn logical_ids_are_readable_concatenations_of_the_path() {
        assert_eq!(logical_id(&c(&["Service", "TaskRole"])), "ServiceTaskRole");
        assert_eq!(logical_id(&c(&["vault-api", "repo"])), "VaultApiRepo");
        assert_eq!(logical_id(&c(&["Repo", "Resource"])), "Repo");
        assert_eq!(logical_id(&c(&["Default", "Bucket.v2"])), "BucketV2");
    }

    #[test]
    fn terraform_names_are_snake_case() {
        assert_eq!(terraform_name(&c(&["Service", "TaskRole"])), "service_task_role");
        assert_eq!(terraform_name(&c(&["vault-api"])), "vault_api");
        assert_eq!(terraform_name(&c(&["HTTPListener"])), "http_listener");
        assert_eq!(terraform_name(&c(&["Listener443"])), "listener443");
        assert_eq!(terraform_name(&c(&["Repo", "Resource"])), "repo");
    }
}
