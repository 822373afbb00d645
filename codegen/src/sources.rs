//! Where the schemas come from, and which versions they are.
//!
//! Both sources are tools the project already needs, at pinned versions:
//! - CloudFormation: the resource provider schemas bundled with `cfn-lint`
//!   (`cfnlint/data/schemas/`), for the types available in us-east-1, the
//!   largest region map;
//! - Terraform: `terraform providers schema -json` for the AWS provider in the
//!   filesystem mirror `/opt/tf-plugins`.
//!
//! Their versions are written into every generated file, and
//! [`EXPECTED_CFN_LINT`] / [`EXPECTED_AWS_PROVIDER`] pin them: a different
//! version is an error rather than a silent regeneration from other inputs.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

/// The cfn-lint release whose schemas the committed output is generated from.
pub const EXPECTED_CFN_LINT: &str = "1.51.0";
/// The AWS provider release whose schema the committed output is generated from.
pub const EXPECTED_AWS_PROVIDER: &str = "5.100.0";
/// The region map used to pick CloudFormation types.
pub const CFN_REGION: &str = "us_east_1";

pub struct CfnSource {
    pub version: String,
    /// `(type name, schema)`, sorted by type name.
    pub types: Vec<(String, Json)>,
}

pub struct TfSource {
    pub provider_version: String,
    /// The provider's `resource_schemas` and `data_source_schemas`.
    pub resources: serde_json::Map<String, Json>,
    pub data_sources: serde_json::Map<String, Json>,
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| format!("cannot run {shown}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{shown} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// cfn-lint's schema directory, at the pinned version: the installed one if
/// it is that version, otherwise a copy installed with pip (without its
/// dependencies: only the data files are read) into a cache directory.
pub fn cfn_lint_dir() -> Result<(PathBuf, String), String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let installed = run(Command::new(&python).args([
        "-c",
        "import cfnlint, cfnlint.version, os; print(os.path.dirname(cfnlint.__file__)); print(cfnlint.version.__version__)",
    ]));
    if let Ok(text) = &installed {
        let mut lines = text.lines();
        let dir = lines.next().unwrap_or_default();
        if lines.next() == Some(EXPECTED_CFN_LINT) {
            return Ok((Path::new(dir).join("data/schemas"), EXPECTED_CFN_LINT.to_string()));
        }
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let target = home
        .join(".cache/iac-tools")
        .join(format!("cfn-lint-{EXPECTED_CFN_LINT}"));
    let schemas = target.join("cfnlint/data/schemas");
    if !schemas.join("providers").is_dir() {
        eprintln!(
            "codegen: installing cfn-lint=={EXPECTED_CFN_LINT} into {} for its schemas",
            target.display()
        );
        run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--target",
            &target.display().to_string(),
            &format!("cfn-lint=={EXPECTED_CFN_LINT}"),
        ]))?;
    }
    let version_file = target.join("cfnlint/version.py");
    let version = std::fs::read_to_string(&version_file)
        .map_err(|e| format!("{}: {e}", version_file.display()))?
        .lines()
        .find_map(|l| l.strip_prefix("__version__ = "))
        .map(|v| v.trim_matches(['"', '\'', ' ']).to_string())
        .unwrap_or_default();
    Ok((schemas, version))
}

pub fn load_cfn(dir: &Path, version: String) -> Result<CfnSource, String> {
    let map_file = dir.join("providers").join(format!("{CFN_REGION}.py"));
    let map = std::fs::read_to_string(&map_file).map_err(|e| format!("{}: {e}", map_file.display()))?;
    // Lines like `    "AWS::SQS::Queue": "0da8bf92124580f1",`.
    let mut types = Vec::new();
    for line in map.lines() {
        let parts: Vec<&str> = line.trim().trim_end_matches(',').split("\": \"").collect();
        if let [name, hash] = parts.as_slice() {
            let name = name.trim_start_matches('"');
            let hash = hash.trim_end_matches('"');
            if !name.contains("::") || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
                continue;
            }
            let file = dir.join("resources").join(format!("{hash}.json"));
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let schema: Json = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            types.push((name.to_string(), schema));
        }
    }
    if types.is_empty() {
        return Err(format!("no resource types found in {}", map_file.display()));
    }
    types.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(CfnSource { version, types })
}

/// Runs `terraform providers schema -json` in a scratch directory against the mirror.
pub fn load_tf(mirror: &Path) -> Result<TfSource, String> {
    let dir = std::env::temp_dir().join(format!("codegen-tf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let result = (|| {
        let cli = dir.join("cli.tfrc");
        std::fs::write(
            &cli,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path = {:?}\n  }}\n}}\n",
                mirror.display().to_string()
            ),
        )
        .map_err(|e| e.to_string())?;
        std::fs::write(
            dir.join("main.tf.json"),
            format!(
                r#"{{"terraform":{{"required_providers":{{"aws":{{"source":"hashicorp/aws","version":"{EXPECTED_AWS_PROVIDER}"}}}}}}}}"#
            ),
        )
        .map_err(|e| e.to_string())?;
        let terraform = || {
            let mut c = Command::new(std::env::var("TERRAFORM").unwrap_or_else(|_| "terraform".into()));
            c.current_dir(&dir)
                .env("TF_CLI_CONFIG_FILE", &cli)
                .env("TF_IN_AUTOMATION", "1");
            c
        };
        run(terraform().args(["init", "-input=false", "-no-color"]))?;
        let text = run(terraform().args(["providers", "schema", "-json"]))?;
        let mut doc: Json = serde_json::from_str(&text).map_err(|e| format!("terraform providers schema: {e}"))?;
        let aws = doc
            .pointer_mut("/provider_schemas/registry.terraform.io~1hashicorp~1aws")
            .map(Json::take)
            .ok_or("terraform providers schema printed no hashicorp/aws provider")?;
        let take = |key: &str| aws.get(key).and_then(Json::as_object).cloned().unwrap_or_default();
        Ok(TfSource {
            provider_version: EXPECTED_AWS_PROVIDER.to_string(),
            resources: take("resource_schemas"),
            data_sources: take("data_source_schemas"),
        })
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}
