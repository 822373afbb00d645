//! ECR lifecycle rules: which images expire, rendered to the lifecycle policy
//! JSON text (a string in both backends, so it is serialized here canonically).

use serde_json::{json, Map, Value as Json};

use crate::problem::Checker;

/// Longest lifecycle policy text ECR accepts.
pub const MAX_LIFECYCLE_POLICY_CHARS: usize = 30_720;

/// Which images a rule looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TagSelection {
    /// Images with at least one tag starting with one of the prefixes (non-empty).
    Tagged { prefixes: Vec<String> },
    /// Images without tags (e.g. layers left by re-pushed tags).
    Untagged,
    /// Every image. ECR requires such a rule to have the highest priority number
    /// (it is evaluated last).
    Any,
}

impl TagSelection {
    /// `TagSelection::tagged(["v"])`: images tagged `v…`.
    pub fn tagged<S: Into<String>>(prefixes: impl IntoIterator<Item = S>) -> Self {
        TagSelection::Tagged {
            prefixes: prefixes.into_iter().map(Into::into).collect(),
        }
    }
}

/// When selected images expire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountType {
    /// Keep the newest `n`, expire the rest.
    ImageCountMoreThan(u32),
    /// Expire images pushed more than this many days ago.
    SinceImagePushedDays(u32),
}

/// One lifecycle rule; its action is always `expire`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LifecycleRule {
    /// Evaluation order, lowest first; positive and unique in the repository.
    pub priority: u32,
    pub description: Option<String>,
    pub selection: TagSelection,
    pub count: CountType,
}

impl LifecycleRule {
    pub fn new(priority: u32, selection: TagSelection, count: CountType) -> Self {
        LifecycleRule {
            priority,
            description: None,
            selection,
            count,
        }
    }

    /// Keeps the newest `n` images matching the selection.
    pub fn keep_last(priority: u32, selection: TagSelection, n: u32) -> Self {
        LifecycleRule::new(priority, selection, CountType::ImageCountMoreThan(n))
    }

    /// Expires untagged images `days` after they were pushed.
    pub fn expire_untagged_after_days(priority: u32, days: u32) -> Self {
        LifecycleRule::new(priority, TagSelection::Untagged, CountType::SinceImagePushedDays(days))
    }

    pub fn description(mut self, text: &str) -> Self {
        self.description = Some(text.to_string());
        self
    }

    fn to_json(&self) -> Json {
        let mut sel = Map::new();
        match &self.selection {
            TagSelection::Tagged { prefixes } => {
                sel.insert("tagStatus".into(), json!("tagged"));
                sel.insert("tagPrefixList".into(), json!(prefixes));
            }
            TagSelection::Untagged => {
                sel.insert("tagStatus".into(), json!("untagged"));
            }
            TagSelection::Any => {
                sel.insert("tagStatus".into(), json!("any"));
            }
        }
        match self.count {
            CountType::ImageCountMoreThan(n) => {
                sel.insert("countType".into(), json!("imageCountMoreThan"));
                sel.insert("countNumber".into(), json!(n));
            }
            CountType::SinceImagePushedDays(d) => {
                sel.insert("countType".into(), json!("sinceImagePushed"));
                sel.insert("countUnit".into(), json!("days"));
                sel.insert("countNumber".into(), json!(d));
            }
        }
        let mut rule = Map::new();
        rule.insert("rulePriority".into(), json!(self.priority));
        if let Some(d) = &self.description {
            rule.insert("description".into(), json!(d));
        }
        rule.insert("selection".into(), Json::Object(sel));
        rule.insert("action".into(), json!({ "type": "expire" }));
        Json::Object(rule)
    }
}

/// The lifecycle policy text: compact JSON with a fixed key order, so equal rules
/// always give the same string (no perpetual diffs).
pub fn lifecycle_policy_text(rules: &[LifecycleRule]) -> String {
    let rules: Vec<Json> = rules.iter().map(LifecycleRule::to_json).collect();
    json!({ "rules": rules }).to_string()
}

pub(crate) fn check_rules(c: &mut Checker<'_>, rules: &[LifecycleRule]) {
    let highest = rules.iter().map(|r| r.priority).max().unwrap_or(0);
    for (i, r) in rules.iter().enumerate() {
        let p = r.priority;
        c.ensure(p >= 1, "ecr-lifecycle-priority", || {
            format!("lifecycle rule {} has priority 0; priorities start at 1", i + 1)
        });
        if rules[..i].iter().any(|o| o.priority == p) {
            c.error(
                "ecr-lifecycle-priority-unique",
                format!("lifecycle priority {p} is used by two rules; each rule needs its own"),
            );
        }
        match &r.selection {
            TagSelection::Tagged { prefixes } => c.ensure(
                !prefixes.is_empty() && prefixes.iter().all(|s| !s.is_empty()),
                "ecr-lifecycle-tag-prefixes",
                || format!("lifecycle rule {p} selects tagged images but its prefix list {prefixes:?} is empty or has an empty prefix; use TagSelection::Any for every image"),
            ),
            TagSelection::Any => c.ensure(
                p == highest && rules.iter().filter(|o| o.priority == p).count() == 1,
                "ecr-lifecycle-any-last",
                || format!("lifecycle rule {p} selects any image, so ECR requires it to have the highest priority number ({highest} is higher or equal)"),
            ),
            TagSelection::Untagged => {}
        }
        let n = match r.count {
            CountType::ImageCountMoreThan(n) | CountType::SinceImagePushedDays(n) => n,
        };
        c.ensure(n >= 1, "ecr-lifecycle-count", || {
            format!("lifecycle rule {p} has a count of 0; it must be at least 1")
        });
    }
    if !rules.is_empty() {
        let len = lifecycle_policy_text(rules).chars().count();
        c.ensure(len <= MAX_LIFECYCLE_POLICY_CHARS, "ecr-lifecycle-policy-size", || {
            format!("the lifecycle policy is {len} characters; ECR accepts at most {MAX_LIFECYCLE_POLICY_CHARS}")
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Problem;

    fn rules(rs: &[LifecycleRule]) -> Vec<&'static str> {
        let mut out: Vec<Problem> = Vec::new();
        check_rules(&mut Checker::new("S/Repo", &mut out), rs);
        out.into_iter().map(|p| p.rule).collect()
    }

    #[test]
    fn the_seed_rule_serializes_to_the_seed_policy() {
        let rule = LifecycleRule::keep_last(1, TagSelection::tagged(["v"]), 5).description("Keep last 5 images");
        let text = lifecycle_policy_text(&[rule]);
        assert_eq!(
            text,
            r#"{"rules":[{"rulePriority":1,"description":"Keep last 5 images","selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}}]}"#
        );
    }

    #[test]
    fn age_based_rules_carry_a_count_unit() {
        let text = lifecycle_policy_text(&[LifecycleRule::expire_untagged_after_days(1, 14)]);
        let v: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["rules"][0]["selection"],
            json!({"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14})
        );
    }

    #[test]
    fn valid_rules_have_no_problems() {
        assert!(rules(&[
            LifecycleRule::expire_untagged_after_days(1, 7),
            LifecycleRule::keep_last(2, TagSelection::tagged(["v", "release-"]), 10),
            LifecycleRule::keep_last(3, TagSelection::Any, 50),
        ])
        .is_empty());
    }

    #[test]
    fn priorities_must_be_positive_and_unique() {
        assert_eq!(
            rules(&[
                LifecycleRule::expire_untagged_after_days(0, 7),
                LifecycleRule::keep_last(2, TagSelection::tagged(["v"]), 5),
                LifecycleRule::keep_last(2, TagSelection::tagged(["w"]), 5),
            ]),
            ["ecr-lifecycle-priority", "ecr-lifecycle-priority-unique"]
        );
    }

    #[test]
    fn tagged_rules_need_prefixes_and_counts_must_be_positive() {
        assert_eq!(
            rules(&[
                LifecycleRule::keep_last(1, TagSelection::tagged(Vec::<String>::new()), 5),
                LifecycleRule::keep_last(2, TagSelection::tagged([""]), 0),
            ]),
            [
                "ecr-lifecycle-tag-prefixes",
                "ecr-lifecycle-tag-prefixes",
                "ecr-lifecycle-count"
            ]
        );
    }

    #[test]
    fn a_rule_for_any_image_must_come_last() {
        assert_eq!(
            rules(&[
                LifecycleRule::keep_last(1, TagSelection::Any, 50),
                LifecycleRule::expire_untagged_after_days(2, 7),
            ]),
            ["ecr-lifecycle-any-last"]
        );
    }

    #[test]
    fn oversized_lifecycle_policies_are_reported() {
        let many: Vec<LifecycleRule> = (1..=200)
            .map(|p| LifecycleRule::keep_last(p, TagSelection::tagged(["v"]), 5).description(&"x".repeat(100)))
            .collect();
        assert_eq!(rules(&many), ["ecr-lifecycle-policy-size"]);
    }
}
