//! Stack outputs: printed after a deploy and written to
//! `out/outputs/<Stack>.json` as one JSON object of output name → value, the
//! same shape for both backends. Names are the ids given to `stack.output`
//! (CloudFormation's output names; Terraform's snake_case names are mapped
//! back to them).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::Error;

/// Maps a Terraform output name (`bucket_name`) to the stack's output id
/// (`BucketName`) by comparing letters and digits only; unknown names stay.
pub fn output_id(terraform_name: &str, ids: &[String]) -> String {
    let key = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let wanted = key(terraform_name);
    ids.iter()
        .find(|id| key(id) == wanted)
        .cloned()
        .unwrap_or_else(|| terraform_name.to_string())
}

/// Writes `<out>/outputs/<stack>.json` (through a temporary file, so a reader
/// never sees half of it) and returns its path.
pub fn write(out_dir: &Path, stack: &str, outputs: &BTreeMap<String, String>) -> Result<PathBuf, Error> {
    let dir = out_dir.join("outputs");
    std::fs::create_dir_all(&dir).map_err(|e| Error::new(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(format!("{stack}.json"));
    let tmp = dir.join(format!(".{stack}.json.{}", std::process::id()));
    let text = serde_json::to_string_pretty(outputs).unwrap_or_default() + "\n";
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, &path))
        .map_err(|e| Error::new(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

/// Removes the outputs file of a destroyed stack.
pub fn remove(out_dir: &Path, stack: &str) {
    let _ = std::fs::remove_file(out_dir.join("outputs").join(format!("{stack}.json")));
}

/// The outputs as printed: `  Name = value`.
pub fn render(stack: &str, outputs: &BTreeMap<String, String>) -> String {
    let mut text = format!("Outputs of {stack}:\n");
    if outputs.is_empty() {
        text.push_str("  (none)\n");
    }
    for (k, v) in outputs {
        text.push_str(&format!("  {k} = {v}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_names_map_back_to_output_ids() {
        let ids = vec!["BucketName".to_string(), "RepositoryUri".to_string()];
        assert_eq!(output_id("bucket_name", &ids), "BucketName");
        assert_eq!(output_id("repository_uri", &ids), "RepositoryUri");
        assert_eq!(output_id("other", &ids), "other");
    }
}
