use super::*;
use crate::iam::IamRole;
use crate::testing::{cfn_resource, problems, synth_one, tf_json_string, tf_resource};
use crate::App;
use serde_json::json;

/// The seed's 14 actions, granted to everyone.
const SEED_ACTIONS: [&str; 14] = [
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
    "ecr:BatchCheckLayerAvailability",
    "ecr:PutImage",
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeRepositories",
    "ecr:GetRepositoryPolicy",
    "ecr:ListImages",
    "ecr:DeleteRepository",
    "ecr:BatchDeleteImage",
    "ecr:SetRepositoryPolicy",
    "ecr:DeleteRepositoryPolicy",
];

#[test]
fn repository_defaults_are_safe_in_both_backends() {
    let mut app = App::new();
    app.stack("S").add("Repo", EcrRepo::new("vault-api"));
    let (cfn, tf) = synth_one(&app);
    let r = cfn_resource(&cfn, "Repo");
    assert_eq!(r["Type"], "AWS::ECR::Repository");
    assert_eq!(
        r["Properties"],
        json!({
            "RepositoryName": "vault-api",
            "ImageScanningConfiguration": {"ScanOnPush": true},
            "ImageTagMutability": "IMMUTABLE",
            "EncryptionConfiguration": {"EncryptionType": "AES256"},
            "EmptyOnDelete": false
        })
    );
    assert_eq!(
        tf_resource(&tf, "aws_ecr_repository", "repo"),
        &json!({
            "name": "vault-api",
            "image_tag_mutability": "IMMUTABLE",
            "image_scanning_configuration": {"scan_on_push": true},
            "encryption_configuration": {"encryption_type": "AES256"},
            "force_delete": false
        })
    );
    assert!(tf["resource"].get("aws_ecr_lifecycle_policy").is_none());
    assert!(tf["resource"].get("aws_ecr_repository_policy").is_none());
}

#[test]
fn the_seeds_flawed_policy_and_lifecycle_rule_translate_one_to_one() {
    let mut app = App::new();
    let repo = EcrRepo::new("vault-api")
        .tag_mutability(TagMutability::Mutable)
        .lifecycle_rule(LifecycleRule::keep_last(1, TagSelection::tagged(["v"]), 5).description("Keep last 5 images"))
        .policy(
            PolicyDocument::new().statement(
                Statement::allow()
                    .sid("NewPolicy")
                    .principal(Principal::Any)
                    .actions(SEED_ACTIONS),
            ),
        );
    app.stack("S").add("Repo", repo);
    let (cfn, tf) = synth_one(&app);

    let seed_lifecycle = json!({"rules": [{
        "rulePriority": 1,
        "description": "Keep last 5 images",
        "selection": {"tagStatus": "tagged", "tagPrefixList": ["v"], "countType": "imageCountMoreThan", "countNumber": 5},
        "action": {"type": "expire"}
    }]});
    let props = &cfn_resource(&cfn, "Repo")["Properties"];
    assert_eq!(
        tf_json_string(&props["LifecyclePolicy"]["LifecyclePolicyText"]),
        seed_lifecycle
    );
    let lp = tf_resource(&tf, "aws_ecr_lifecycle_policy", "repo");
    assert_eq!(lp["repository"], "${aws_ecr_repository.repo.name}");
    assert_eq!(lp["policy"], props["LifecyclePolicy"]["LifecyclePolicyText"]);
    assert!(lp.get("tags").is_none());

    let policy = &props["RepositoryPolicyText"];
    assert_eq!(policy["Version"], "2012-10-17");
    assert_eq!(policy["Statement"][0]["Principal"], "*");
    assert_eq!(policy["Statement"][0]["Action"], json!(SEED_ACTIONS));
    assert!(policy["Statement"][0].get("Resource").is_none());
    let rp = tf_resource(&tf, "aws_ecr_repository_policy", "repo");
    assert_eq!(rp["repository"], "${aws_ecr_repository.repo.name}");
    assert_eq!(&tf_json_string(&rp["policy"]), policy);
}

#[test]
fn grant_pull_adds_exactly_the_three_pull_actions_for_the_principal() {
    let mut app = App::new();
    let stack = app.stack("S");
    let role = stack.add("Ci", IamRole::for_service("codebuild.amazonaws.com"));
    let repo = stack.add("Repo", EcrRepo::new("vault-api"));
    stack.get_mut(&repo).expect("same stack").grant_pull(role.principal());
    let (cfn, tf) = synth_one(&app);
    let expected = json!({
        "Effect": "Allow",
        "Principal": {"AWS": [{"Fn::GetAtt": ["Ci", "Arn"]}]},
        "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    });
    assert_eq!(
        cfn_resource(&cfn, "Repo")["Properties"]["RepositoryPolicyText"]["Statement"][0],
        expected
    );
    let policy = tf_json_string(&tf_resource(&tf, "aws_ecr_repository_policy", "repo")["policy"]);
    assert_eq!(policy["Statement"][0]["Principal"]["AWS"][0], "${aws_iam_role.ci.arn}");
}

#[test]
fn an_execution_role_can_be_limited_to_pulling_from_one_repository() {
    let mut app = App::new();
    let stack = app.stack("S");
    let repo = stack.add("Repo", EcrRepo::new("vault-api"));
    let mut exec = IamRole::for_service("ecs-tasks.amazonaws.com");
    exec.add_to_policy("pull", repo.pull_statement())
        .add_to_policy("pull", Statement::ecr_auth_token());
    stack.add("Exec", exec);
    let (cfn, tf) = synth_one(&app);
    let doc = &cfn_resource(&cfn, "Exec")["Properties"]["Policies"][0]["PolicyDocument"];
    assert_eq!(
        doc["Statement"],
        json!([
            {
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                "Resource": [{"Fn::GetAtt": ["Repo", "Arn"]}]
            },
            {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": ["*"]}
        ])
    );
    let tf_doc = tf_json_string(&tf_resource(&tf, "aws_iam_role_policy", "exec_pull")["policy"]);
    assert_eq!(
        tf_doc["Statement"][0]["Resource"],
        json!(["${aws_ecr_repository.repo.arn}"])
    );
}

#[test]
fn repository_attributes_render_per_backend() {
    let mut app = App::new();
    let stack = app.stack("S");
    let repo = stack.add("Repo", EcrRepo::new("vault-api"));
    stack.output("Name", repo.name(), "");
    stack.output("Arn", repo.arn(), "");
    stack.output("Uri", repo.uri(), "");
    stack.output("Image", repo.image_uri("v1"), "");
    let (cfn, tf) = synth_one(&app);
    let out = &cfn["Outputs"];
    assert_eq!(out["Name"]["Value"], json!({"Ref": "Repo"}));
    assert_eq!(out["Arn"]["Value"], json!({"Fn::GetAtt": ["Repo", "Arn"]}));
    assert_eq!(out["Uri"]["Value"], json!({"Fn::GetAtt": ["Repo", "RepositoryUri"]}));
    assert_eq!(out["Image"]["Value"], json!({"Fn::Sub": "${Repo.RepositoryUri}:v1"}));
    let out = &tf["output"];
    assert_eq!(out["name"]["value"], "${aws_ecr_repository.repo.name}");
    assert_eq!(out["arn"]["value"], "${aws_ecr_repository.repo.arn}");
    assert_eq!(out["uri"]["value"], "${aws_ecr_repository.repo.repository_url}");
    assert_eq!(out["image"]["value"], "${aws_ecr_repository.repo.repository_url}:v1");
}

#[test]
fn kms_encryption_and_empty_on_delete_render_in_both_backends() {
    let mut app = App::new();
    let key = "arn:aws:kms:eu-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    app.stack("S").add(
        "Repo",
        EcrRepo::new("team/vault-api")
            .kms_key(key)
            .empty_on_delete()
            .without_scan_on_push(),
    );
    app.stack("T")
        .add("Repo", EcrRepo::new("vault-api").encryption(Encryption::Kms(None)));
    let files = crate::synth(&app, &crate::Backend::ALL).expect("valid");
    let parse = |i: usize| -> serde_json::Value { serde_json::from_str(&files[i].text).unwrap() };
    let (cfn, tf) = (parse(0), parse(1));
    let p = &cfn_resource(&cfn, "Repo")["Properties"];
    assert_eq!(
        p["EncryptionConfiguration"],
        json!({"EncryptionType": "KMS", "KmsKey": key})
    );
    assert_eq!(p["EmptyOnDelete"], true);
    assert_eq!(p["ImageScanningConfiguration"]["ScanOnPush"], false);
    let r = tf_resource(&tf, "aws_ecr_repository", "repo");
    assert_eq!(
        r["encryption_configuration"],
        json!({"encryption_type": "KMS", "kms_key": key})
    );
    assert_eq!(r["force_delete"], true);
    let aws_managed = tf_resource(&parse(3), "aws_ecr_repository", "repo").clone();
    assert_eq!(
        aws_managed["encryption_configuration"],
        json!({"encryption_type": "KMS"})
    );
}

#[test]
fn lifecycle_descriptions_are_escaped_only_where_the_backend_interpolates() {
    let mut app = App::new();
    app.stack("S").add(
        "Repo",
        EcrRepo::new("vault-api")
            .lifecycle_rule(LifecycleRule::expire_untagged_after_days(1, 7).description("not a ${ref}")),
    );
    let (cfn, tf) = synth_one(&app);
    let text = cfn_resource(&cfn, "Repo")["Properties"]["LifecyclePolicy"]["LifecyclePolicyText"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("not a ${ref}"));
    let tf_text = tf_resource(&tf, "aws_ecr_lifecycle_policy", "repo")["policy"]
        .as_str()
        .unwrap();
    assert_eq!(tf_text, text.replace("${", "$${"));
}

#[test]
fn repository_names_follow_the_ecr_pattern() {
    for ok in ["vault-api", "ab", "team/vault-api", "a.b_c-d/e1", "x/y/z9"] {
        assert!(valid_repo_name(ok), "{ok} should be valid");
    }
    let long = "a".repeat(257);
    for bad in [
        "a",
        "Vault",
        "vault--api",
        "-vault",
        "vault-",
        "team//api",
        "/api",
        "api/",
        "va ult",
        "vault_.api",
        &long,
    ] {
        assert!(!valid_repo_name(bad), "{bad} should be invalid");
    }
}

#[test]
fn invalid_repository_settings_are_reported_with_the_path() {
    let mut app = App::new();
    let mut repo = EcrRepo::new("Vault_API").lifecycle_rule(LifecycleRule::keep_last(1, TagSelection::Any, 5));
    repo.lifecycle_rules
        .push(LifecycleRule::expire_untagged_after_days(2, 7));
    repo.add_to_policy(
        Statement::allow()
            .action("ecr:BatchGetImage")
            .resource("arn:aws:ecr:eu-west-2:123456789012:repository/x"),
    );
    app.stack("S").add("Repo", repo);
    assert_eq!(
        problems(&app),
        [
            ("S/Repo".to_string(), "ecr-repo-name"),
            ("S/Repo".to_string(), "ecr-lifecycle-any-last"),
            ("S/Repo".to_string(), "iam-resource-not-allowed"),
            ("S/Repo".to_string(), "iam-statement-principal"),
        ]
    );
}

#[test]
fn repository_names_are_unique_in_a_stack() {
    let mut app = App::new();
    let stack = app.stack("S");
    stack.add("A", EcrRepo::new("vault-api"));
    stack.add("B", EcrRepo::new("vault-api"));
    assert_eq!(problems(&app), [("S/B".to_string(), "ecr-repo-name-unique")]);
}
