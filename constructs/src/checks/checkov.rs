//! How suppressions reach checkov: each built-in rule's checkov counterparts,
//! checkov's own ids accepted by [`crate::Stack::suppress`], and the skips a
//! construct's output carries.
//!
//! One `stack.suppress(&x, rule, reason)` call covers both scanners: a rule of
//! ours suppresses its checkov counterparts too ([`checkov_ids`], the mapping
//! `docs/checks.md` documents), and a checkov id (`CKV_AWS_18`) suppresses a
//! check we have no rule for. Either way the reason is required and written
//! next to the resource: CloudFormation `Metadata.checkov.skip` (which checkov
//! reads) and `checkov:skip=<id>:<reason>` lines in a Terraform `"//"` comment
//! (checkov's documented inline form; see `docs/checks.md` for what checkov's
//! `terraform_json` runner does with it).

use crate::tree::{Stack, Suppression};

/// Each built-in rule and the checkov checks that look for the same thing
/// (or a narrower case of it), from the comparison in `docs/checks.md`.
/// Suppressing the rule skips these checks on the construct too.
pub const CHECKOV_EQUIVALENTS: &[(&str, &[&str])] = &[
    (
        "iam-wildcard-principal",
        &["CKV_AWS_32", "CKV_AWS_70", "CKV_AWS_60", "CKV_AWS_33"],
    ),
    ("iam-wildcard-action", &["CKV_AWS_63", "CKV_AWS_62"]),
    ("iam-wildcard-resource", &["CKV_AWS_355", "CKV_AWS_111", "CKV_AWS_290"]),
    ("iam-admin-policy", &["CKV_AWS_274"]),
    ("ecs-shared-task-execution-role", &["CKV_AWS_249"]),
    (
        "ec2-open-ingress",
        &["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277"],
    ),
    ("ec2-open-egress", &["CKV_AWS_382"]),
    ("ec2-rule-description", &["CKV_AWS_23"]),
    (
        "s3-public-access",
        &["CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56", "CKV2_AWS_6"],
    ),
    ("s3-insecure-transport", &["CKV_AWS_379"]),
    ("s3-encryption", &["CKV_AWS_19"]),
    ("s3-versioning", &["CKV_AWS_21"]),
    ("s3-lifecycle", &["CKV2_AWS_61"]),
    ("s3-sensitive-customer-key", &["CKV_AWS_145"]),
    ("dynamodb-point-in-time-recovery", &["CKV_AWS_28"]),
    ("dynamodb-sensitive-customer-key", &["CKV_AWS_119"]),
    ("kms-key-rotation", &["CKV_AWS_7"]),
    ("logs-retention", &["CKV_AWS_66", "CKV_AWS_338"]),
    ("ecr-scan-on-push", &["CKV_AWS_163"]),
    ("ecr-mutable-tags", &["CKV_AWS_51"]),
    ("ecs-public-ip", &["CKV_AWS_333"]),
    ("ecs-readonly-root-filesystem", &["CKV_AWS_336"]),
    ("ecs-container-insights", &["CKV_AWS_65"]),
];

/// The checkov checks a built-in rule corresponds to (empty if none).
pub fn checkov_ids(rule: &str) -> &'static [&'static str] {
    CHECKOV_EQUIVALENTS
        .iter()
        .find(|(r, _)| *r == rule)
        .map_or(&[], |(_, ids)| ids)
}

/// Whether `id` is a checkov AWS check id: `CKV_AWS_<n>` or `CKV2_AWS_<n>`.
/// Such ids may be suppressed like our rules (checkov has checks we have no
/// rule for, e.g. `CKV_AWS_18`, server access logging).
pub fn is_checkov_id(id: &str) -> bool {
    let n = id.strip_prefix("CKV_AWS_").or_else(|| id.strip_prefix("CKV2_AWS_"));
    n.is_some_and(|n| !n.is_empty() && n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit()) && !n.starts_with('0'))
}

/// A checkov check skipped on a construct, with the comment checkov reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckovSkip {
    pub id: String,
    pub comment: String,
}

/// The checkov checks skipped on the construct at `path`: every suppression
/// covering it, a checkov id as is, a rule of ours as its checkov counterparts
/// (the comment names the rule). Each id once, the first suppression's reason winning.
pub fn skips_for(stack: &Stack, path: &str) -> Vec<CheckovSkip> {
    let covering: Vec<&Suppression> = stack.suppressions().iter().filter(|s| s.covers(path)).collect();
    let mut out: Vec<CheckovSkip> = Vec::new();
    let mut push = |id: &str, comment: String| {
        if !out.iter().any(|s| s.id == id) {
            out.push(CheckovSkip {
                id: id.to_string(),
                comment,
            });
        }
    };
    for s in covering {
        if is_checkov_id(&s.rule) {
            push(&s.rule, s.reason.clone());
        } else {
            for id in checkov_ids(&s.rule) {
                push(id, format!("{}: {}", s.rule, s.reason));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkov_ids_have_checkovs_shape() {
        for id in ["CKV_AWS_18", "CKV2_AWS_62", "CKV_AWS_378"] {
            assert!(is_checkov_id(id), "{id}");
        }
        for id in [
            "CKV_AWS_",
            "CKV_AZURE_1",
            "ckv_aws_18",
            "CKV_AWS_018",
            "CKV_AWS_18a",
            "s3-versioning",
        ] {
            assert!(!is_checkov_id(id), "{id}");
        }
    }

    #[test]
    fn every_mapped_rule_exists_and_every_mapped_id_is_a_checkov_id() {
        for (rule, ids) in CHECKOV_EQUIVALENTS {
            assert!(super::super::rule(rule).is_some(), "{rule} is not a rule");
            assert!(!ids.is_empty() && ids.iter().all(|id| is_checkov_id(id)), "{rule}");
        }
    }
}
