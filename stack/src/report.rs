//! Check reports for people and for tools: human-readable text, JSON (with a
//! JSON Schema, [`json_schema`]) and SARIF 2.1.0 for code-scanning tools.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value as Json};

use constructs::checks::{Finding, Report};

/// The `check --format json` document.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonReport {
    /// Format version of this document.
    pub version: u32,
    pub summary: Summary,
    /// Unsuppressed findings.
    pub findings: Vec<JsonFinding>,
    /// Findings a suppression covers, with its reason.
    pub suppressed: Vec<JsonSuppressed>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub suppressed: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonFinding {
    /// Stable rule id, e.g. `iam-wildcard-action`.
    pub rule: String,
    /// `error` or `warning`.
    pub severity: String,
    pub stack: String,
    /// Construct path, e.g. `Blog/VaultRole`.
    pub path: String,
    /// What is wrong with this construct.
    pub message: String,
    /// Why it matters.
    pub why: String,
    /// How to fix it.
    pub fix: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct JsonSuppressed {
    #[serde(flatten)]
    pub finding: JsonFinding,
    pub reason: String,
}

fn json_finding(f: &Finding) -> JsonFinding {
    JsonFinding {
        rule: f.rule.id.into(),
        severity: f.severity().as_str().into(),
        stack: f.stack.clone(),
        path: f.path.clone(),
        message: f.message.clone(),
        why: f.rule.why.into(),
        fix: f.rule.fix.into(),
    }
}

fn summary_line(r: &Report) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}, {} suppressed",
        plural(r.errors(), "error"),
        plural(r.warnings(), "warning"),
        r.suppressed.len()
    )
}

/// Text for a terminal: each finding with why and how to fix, then a summary.
pub fn human(r: &Report) -> String {
    let mut out = String::new();
    for f in &r.findings {
        out += &format!("{}[{}] {}: {}\n", f.severity(), f.rule.id, f.path, f.message);
        out += &format!("    why: {}\n    fix: {}\n", f.rule.why, f.rule.fix);
    }
    for s in &r.suppressed {
        out += &format!(
            "suppressed[{}] {}: {} (reason: {})\n",
            s.finding.rule.id, s.finding.path, s.finding.message, s.reason
        );
    }
    out += &format!("{}\n", summary_line(r));
    out
}

/// The JSON report, pretty-printed.
pub fn json(r: &Report) -> String {
    let doc = JsonReport {
        version: 1,
        summary: Summary {
            errors: r.errors(),
            warnings: r.warnings(),
            suppressed: r.suppressed.len(),
        },
        findings: r.findings.iter().map(json_finding).collect(),
        suppressed: r
            .suppressed
            .iter()
            .map(|s| JsonSuppressed {
                finding: json_finding(&s.finding),
                reason: s.reason.clone(),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc).expect("report serializes") + "\n"
}

/// The JSON Schema of [`json()`]'s output.
pub fn json_schema() -> String {
    serde_json::to_string_pretty(&schemars::schema_for!(JsonReport)).expect("schema serializes") + "\n"
}

/// SARIF 2.1.0: one run, every rule in the driver, one result per finding
/// (suppressed ones carry an external suppression with its justification).
/// Each result points at the stack's CloudFormation template relative to the
/// output directory (`uriBaseId` `OUTDIR`) and names the construct path as its
/// logical location.
pub fn sarif(r: &Report) -> String {
    let rules: Vec<Json> = r
        .rules
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "shortDescription": { "text": rule.title },
                "fullDescription": { "text": rule.why },
                "help": { "text": rule.fix },
                "defaultConfiguration": { "level": rule.severity.as_str() }
            })
        })
        .collect();
    let result = |f: &Finding, suppression: Option<&str>| {
        let index = r.rules.iter().position(|x| x.id == f.rule.id).unwrap_or(0);
        let mut res = json!({
            "ruleId": f.rule.id,
            "ruleIndex": index,
            "level": f.severity().as_str(),
            "message": { "text": format!("{}: {}. Fix: {}", f.path, f.message, f.rule.fix) },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": format!("cloudformation/{}.template.json", f.stack), "uriBaseId": "OUTDIR" }
                },
                "logicalLocations": [{ "fullyQualifiedName": f.path, "kind": "resource" }]
            }]
        });
        if let Some(reason) = suppression {
            res["suppressions"] = json!([{ "kind": "external", "justification": reason }]);
        }
        res
    };
    let mut results: Vec<Json> = r.findings.iter().map(|f| result(f, None)).collect();
    results.extend(r.suppressed.iter().map(|s| result(&s.finding, Some(&s.reason))));
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "stack check", "version": env!("CARGO_PKG_VERSION"), "rules": rules } },
            "results": results
        }]
    });
    serde_json::to_string_pretty(&doc).expect("SARIF serializes") + "\n"
}
