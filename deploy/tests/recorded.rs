//! What moto cannot produce, from recorded answers shaped like the real
//! services' (`tests/recorded/`): per-resource stack events of a create, an
//! update that fails and rolls back (`UPDATE_ROLLBACK_COMPLETE`), a change set
//! with replacements (`Replacement`, `Details`), a Terraform plan
//! (`terraform show -json`) and `terraform apply -json` output with a failure.
//! Each is fed through the same code the commands use, and what the user sees
//! is asserted exactly.

use std::collections::BTreeMap;
use std::time::Duration;

use deploy::cloudformation::{summary, watch, StackSource};
use deploy::diff::cloudformation::ChangeSetChange;
use deploy::diff::render::render;
use deploy::progress::{Event, EventCursor, Progress};
use deploy::Error;
use serde_json::Value as Json;

fn fixture(name: &str) -> Json {
    let path = format!("{}/tests/recorded/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Replays recorded DescribeStackEvents / DescribeStacks answers, one poll at a time.
struct Replay {
    polls: Vec<Json>,
    at: usize,
}

impl StackSource for Replay {
    async fn events(&mut self) -> Result<Vec<Event>, Error> {
        let poll = &self.polls[self.at.min(self.polls.len() - 1)];
        Ok(poll["DescribeStackEvents"]["StackEvents"]
            .as_array()
            .unwrap()
            .iter()
            .map(Event::from_api_json)
            .collect())
    }
    async fn status(&mut self) -> Result<(String, Option<String>), Error> {
        let poll = &self.polls[self.at.min(self.polls.len() - 1)];
        self.at += 1;
        let s = &poll["DescribeStacks"]["Stacks"][0];
        Ok((
            s["StackStatus"].as_str().unwrap().to_string(),
            s["StackStatusReason"].as_str().map(str::to_string),
        ))
    }
}

/// Watches a recorded operation; returns the plain progress lines and the summary.
fn replay(name: &str, total: usize) -> String {
    let f = fixture(name);
    let mut cursor = EventCursor::default();
    let before: Vec<Event> = f["before"]
        .as_array()
        .unwrap()
        .iter()
        .map(Event::from_api_json)
        .collect();
    cursor.skip(&before);
    let mut source = Replay {
        polls: f["polls"].as_array().unwrap().clone(),
        at: 0,
    };
    let mut out = Vec::new();
    let ending = {
        let mut progress = Progress::plain(&mut out, "Vault", total);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(watch(&mut source, &mut cursor, &mut progress, "Vault", Duration::ZERO))
            .unwrap()
    };
    let mut text = String::from_utf8(out).unwrap();
    text.push_str(&summary("Vault", false, &ending, Duration::from_secs(26)));
    text.push('\n');
    text
}

#[test]
fn a_create_shows_one_line_per_status_change_and_succeeds() {
    assert_eq!(
        replay("create.json", 2),
        "\
09:00:00  Vault  CREATE_IN_PROGRESS   AWS::CloudFormation::Stack Vault  User Initiated
09:00:03  Vault  CREATE_IN_PROGRESS   AWS::DynamoDB::Table Items
09:00:03  Vault  CREATE_IN_PROGRESS   AWS::Logs::LogGroup Logs
09:00:04  Vault  CREATE_IN_PROGRESS   AWS::DynamoDB::Table Items  Resource creation Initiated
09:00:04  Vault  CREATE_IN_PROGRESS   AWS::Logs::LogGroup Logs  Resource creation Initiated
09:00:05  Vault  CREATE_COMPLETE      AWS::Logs::LogGroup Logs
09:00:24  Vault  CREATE_COMPLETE      AWS::DynamoDB::Table Items
09:00:25  Vault  CREATE_COMPLETE      AWS::CloudFormation::Stack Vault
Vault: deployed (CREATE_COMPLETE) in 26 s
"
    );
}

#[test]
fn a_failed_update_names_the_first_failure_waits_for_the_rollback_and_says_what_next() {
    assert_eq!(
        replay("update-rollback.json", 2),
        "\
10:15:02  Vault  UPDATE_IN_PROGRESS   AWS::CloudFormation::Stack Vault  User Initiated
10:15:05  Vault  UPDATE_IN_PROGRESS   AWS::ElasticLoadBalancingV2::TargetGroup ApiTargetGroup  Requested update requires the creation of a new physical resource; hence creating one.
10:15:05  Vault  UPDATE_FAILED        AWS::ElasticLoadBalancingV2::TargetGroup ApiTargetGroup  Resource handler returned message: \"A target group with the same name 'vault-api' exists, but with different settings (Service: ElasticLoadBalancingV2, Status Code: 400, Request ID: 6c1f2a55-0e3b-4b9c-a0f7-3f0e1d2c3b4a)\" (RequestToken: 9d1e, HandlerErrorCode: AlreadyExists)
10:15:06  Vault  UPDATE_FAILED        AWS::ECS::Service ApiService  Resource update cancelled
10:15:06  Vault  UPDATE_ROLLBACK_IN_PROGRESS AWS::CloudFormation::Stack Vault  The following resource(s) failed to update: [ApiTargetGroup, ApiService]. 
Vault: failed: ApiTargetGroup (AWS::ElasticLoadBalancingV2::TargetGroup) UPDATE_FAILED: Resource handler returned message: \"A target group with the same name 'vault-api' exists, but with different settings (Service: ElasticLoadBalancingV2, Status Code: 400, Request ID: 6c1f2a55-0e3b-4b9c-a0f7-3f0e1d2c3b4a)\" (RequestToken: 9d1e, HandlerErrorCode: AlreadyExists)
Vault: rolling back; waiting for the rollback to finish
10:15:31  Vault  UPDATE_COMPLETE      AWS::ECS::Service ApiService
10:15:32  Vault  UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS AWS::CloudFormation::Stack Vault
10:15:33  Vault  UPDATE_ROLLBACK_COMPLETE AWS::CloudFormation::Stack Vault
Vault: deploy failed; the stack is UPDATE_ROLLBACK_COMPLETE
  cause: ApiTargetGroup (AWS::ElasticLoadBalancingV2::TargetGroup) UPDATE_FAILED: Resource handler returned message: \"A target group with the same name 'vault-api' exists, but with different settings (Service: ElasticLoadBalancingV2, Status Code: 400, Request ID: 6c1f2a55-0e3b-4b9c-a0f7-3f0e1d2c3b4a)\" (RequestToken: 9d1e, HandlerErrorCode: AlreadyExists)
  next: the update was rolled back: the stack is as it was before. Fix the cause and deploy again.
"
    );
}

#[test]
fn a_change_set_with_replacements_renders_replacements_data_loss_and_broadening() {
    let f = fixture("update-replacement.json");
    let changes: Vec<ChangeSetChange> = f["DescribeChangeSet"]["Changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(ChangeSetChange::from_api_json)
        .collect();
    let diff =
        deploy::diff::cloudformation::build("Vault", Some(&f["deployed_template"]), &f["new_template"], &changes);
    assert!(diff.broadening() && diff.data_loss_risk());
    assert_eq!(
        render(&diff),
        "\
Stack Vault (CloudFormation)
Resources
[-/+] AWS::ElasticLoadBalancingV2::TargetGroup ApiTargetGroup  replaced: Port changes
    Port: 80 → 8080  (forces replacement)
[-/+] AWS::DynamoDB::Table Items  replaced: KeySchema changes
    KeySchema[0].AttributeName: \"id\" → \"key\"  (forces replacement)
[~] AWS::ECS::Service Api
    DesiredCount: 2 → 3
[~] AWS::IAM::Role ApiTaskRole
    Policies[0].PolicyDocument.Statement[0].Action: [\"dynamodb:GetItem\"] → [\"dynamodb:GetItem\",\"dynamodb:PutItem\"]
[-] AWS::Logs::LogGroup OldLogs
[+] AWS::S3::Bucket Objects

Security changes (IAM, security groups, resource policies)
[~] AWS::IAM::Role ApiTaskRole  broadens permissions

Data loss risk
[-/+] AWS::DynamoDB::Table Items: replacing it deletes the old one and the data it holds
[-] AWS::Logs::LogGroup OldLogs: removing it deletes the old one and the data it holds

Outputs
[+] BucketName

Vault: 1 to add, 2 to change, 2 to replace, 1 to remove
"
    );
    // The approval rule asks about both.
    assert_eq!(
        deploy::approval::reason(deploy::Approval::Broadening, &diff).unwrap(),
        "it broadens IAM or security-group permissions and it replaces or removes resources that hold data"
    );
    assert_eq!(deploy::approval::reason(deploy::Approval::Never, &diff), None);
}

#[test]
fn a_terraform_plan_renders_with_the_same_renderer() {
    let diff = deploy::diff::terraform::build("Vault", &fixture("terraform-plan.json"));
    assert_eq!(
        render(&diff),
        "\
Stack Vault (Terraform)
Resources
[+] aws_s3_bucket.objects
[~] aws_ecs_service.api
    desired_count: 2 → 3
[-/+] aws_dynamodb_table.items  replaced: hash_key changes
    hash_key: \"id\" → \"key\"  (forces replacement)
    arn: \"arn:aws:dynamodb:eu-west-2:123456789012:table/vault-api-items\" → (known after apply)
[~] aws_iam_role_policy.task_items
    policy: \"{\\\"Statement\\\":[{\\\"Action\\\":[\\\"dynamodb:GetItem\\\"],\\\"Effect\\\":\\\"Allow\\\",\\\"Resource\\\":[\\\"arn:aws:dynamodb:eu-west-2:123456789012:table/vault-api-items\\\"]}],\\\"Version\\\":\\\"2012-10-17\\\"}\" → \"{\\\"Statement\\\":[{\\\"Action\\\":[\\\"dynamodb:GetItem\\\",\\\"dynamodb:PutItem\\\"],\\\"Effect\\\":\\\"Allow\\\",\\\"Resource\\\":[\\\"arn:aws:dynamodb:eu-west-2:123456789012:table/vault-api-items\\\"]}],\\\"Version\\\":\\\"2012-10-17\\\"}\"
[-] aws_cloudwatch_log_group.old

Security changes (IAM, security groups, resource policies)
[~] aws_iam_role_policy.task_items  broadens permissions

Data loss risk
[-/+] aws_dynamodb_table.items: replacing it deletes the old one and the data it holds
[-] aws_cloudwatch_log_group.old: removing it deletes the old one and the data it holds

Outputs
[+] bucket_name

Vault: 1 to add, 2 to change, 1 to replace, 1 to remove
"
    );
}

#[test]
fn terraform_apply_json_feeds_the_same_progress_with_the_failure_as_cause() {
    let text = std::fs::read_to_string(format!(
        "{}/tests/recorded/terraform-apply.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut out = Vec::new();
    let cause = {
        let mut progress = Progress::plain(&mut out, "Vault", 2);
        let mut errored = BTreeMap::new();
        for line in text.lines() {
            let json: Json = serde_json::from_str(line).unwrap();
            for e in deploy::terraform::apply_line(&json, &mut errored) {
                progress.event(&e);
            }
        }
        progress.root_cause.describe()
    };
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "\
11:00:01  Vault  CREATE_IN_PROGRESS   aws_s3_bucket.objects
11:00:01  Vault  UPDATE_IN_PROGRESS   aws_ecs_service.api
11:00:02  Vault  CREATE_COMPLETE      aws_s3_bucket.objects  id vault-objects-7f3a
11:00:13  Vault  UPDATE_FAILED        aws_ecs_service.api  updating ECS Service (arn:aws:ecs:eu-west-2:123456789012:service/fargate-cluster/vault-api): InvalidParameterException: Unable to assume role and validate the specified targetGroupArn.
"
    );
    assert_eq!(
        cause.unwrap(),
        "aws_ecs_service.api (aws_ecs_service) UPDATE_FAILED: updating ECS Service (arn:aws:ecs:eu-west-2:123456789012:service/fargate-cluster/vault-api): InvalidParameterException: Unable to assume role and validate the specified targetGroupArn."
    );
}
