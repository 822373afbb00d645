//! The vault stack deployed by the real `stack` binary (built with the
//! `deploy` feature, as `cargo test --workspace` builds it: the examples crate
//! turns the feature on) against a `moto_server` on loopback, with the seed's
//! network created first (`tests/moto/network.py`):
//! - `deploy --yes` deploys `VaultImages` (the repository), publishes
//!   vault-api (to a local `docker-registry` through `--registry`: moto's ECR
//!   has no registry endpoint; built once per test run with the `image-test`
//!   profile, shared with tests/publish.rs), then deploys `Vault`, whose task
//!   definition names the pushed image by digest; a second deploy has nothing
//!   to do (exit 0), a changed desired count is a modification of the service
//!   (`diff`, exit 2) and is deployed, then `destroy --yes` removes the
//!   service's stack before the repository's; what it created is described
//!   through the AWS APIs (`tests/moto/report.py`);
//! - a publish that fails (the registry unreachable) stops the deploy after
//!   the repository stack: the service's stack is not deployed, and the
//!   message says so;
//! - bad input gets one clear message and changes nothing (no credentials, the
//!   wrong account or region, an unknown stack, lookups matching nothing or
//!   several things, a stack in a blocked state, approval without a terminal,
//!   terraform missing, a state bucket that does not exist).
//!
//! Without the feature (`cargo test -p stack` alone) the binary cannot deploy,
//! so this file is compiled only with it.
#![cfg(feature = "deploy")]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;
use stack::tools::{self, MotoServer, Run};

mod moto;

const STACK: &str = env!("CARGO_BIN_EXE_stack");
fn shipped_environments() -> String {
    format!("{}/environments", moto::manifest_dir())
}
/// The workspace, for publish's cargo build (the binary runs in a scratch directory).
fn workspace_manifest() -> String {
    format!("{}/../Cargo.toml", moto::manifest_dir())
}

/// A moto_server with the seed's network, a local registry standing in for
/// ECR's, and a scratch directory to run in.
struct World {
    server: MotoServer,
    registry: tools::RegistryServer,
    python: tools::Tool,
    network: Json,
    dir: tempfile::TempDir,
}

impl World {
    fn start(check: &str, with_network: bool) -> Option<World> {
        // Installs moto if missing; its server is started through tests/moto/server.py.
        tools::require(tools::moto_server(), check)?;
        let python = tools::require(tools::python_with_boto3(), check)?;
        let registry_tool = tools::require(tools::docker_registry(), check)?;
        // moto, converting AWS::KMS::Key tags as AWS's CloudFormation does
        // (the vault stack's data key is tagged; see tests/moto/server.py).
        let script = format!("{}/tests/moto/server.py", moto::manifest_dir());
        let server = MotoServer::start_script(&python, Path::new(&script)).expect("moto's server starts");
        let network = if with_network {
            moto::create_network(&python, &server.endpoint)
        } else {
            Json::Null
        };
        let dir = tempfile::tempdir().unwrap();
        let registry_dir = dir.path().join("registry");
        let registry =
            tools::RegistryServer::start(&registry_tool, &registry_dir, None).expect("docker-registry starts");
        Some(World {
            server,
            registry,
            python,
            network,
            dir,
        })
    }

    /// `deploy` with `args`, publishing to the local registry: vault-api is
    /// built with the tests' `image-test` profile (see tests/support/images.rs).
    fn deploy(&self, args: &[&str]) -> Run {
        let mut all = vec!["deploy"];
        all.extend_from_slice(args);
        let manifest = workspace_manifest();
        all.extend_from_slice(&[
            "--registry",
            &self.registry.host,
            "--insecure",
            "--cargo-profile",
            "image-test",
            "--manifest-path",
            &manifest,
        ]);
        self.stack(&all)
    }

    /// Fails unless `stack` does not exist.
    fn assert_no_stack(&self, stack: &str) {
        self.python(&format!("try:\n    cfn.describe_stacks(StackName='{stack}')\n    raise SystemExit('a {stack} stack exists')\nexcept cfn.exceptions.ClientError:\n    pass"));
    }

    /// Runs the `stack` binary in the scratch directory against moto.
    fn stack(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    fn run_with(&self, args: &[&str], extra: &[(String, String)]) -> Run {
        let mut env = self.server.aws_env();
        // The binary runs in a scratch directory: point it at the shipped environments.
        env.push((stack::environment::ENV_DIR_VARIABLE.into(), shipped_environments()));
        env.extend(extra.iter().cloned());
        tools::run_cli(Path::new(STACK), args, self.dir.path(), &env)
    }

    /// Runs a boto3 snippet against moto (`cfn`, `ec2` clients are defined).
    fn python(&self, code: &str) {
        let prelude = format!(
            "import boto3, json\ns = boto3.session.Session(aws_access_key_id='testing', aws_secret_access_key='testing', region_name='eu-west-2')\ncfn = s.client('cloudformation', endpoint_url='{0}')\nec2 = s.client('ec2', endpoint_url='{0}')\nelbv2 = s.client('elbv2', endpoint_url='{0}')\n",
            self.server.endpoint
        );
        let out = Command::new(&self.python.path)
            .args(["-c", &(prelude + code)])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    /// What the stack created, as the AWS APIs describe it.
    fn report(&self) -> Json {
        let script = format!("{}/tests/moto/report.py", moto::manifest_dir());
        let listener = self.network["listener_arn"].as_str().unwrap();
        let out = Command::new(&self.python.path)
            .args([script.as_str(), &self.server.endpoint, "Vault", listener])
            .output()
            .expect("report.py runs");
        assert!(
            out.status.success(),
            "report.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("report.py prints JSON")
    }

    /// An environment directory with dev.json changed by `edit`.
    fn env_dir(&self, name: &str, edit: impl FnOnce(&mut Json)) -> PathBuf {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut env: Json = serde_json::from_str(
            &std::fs::read_to_string(Path::new(&shipped_environments()).join("dev.json")).unwrap(),
        )
        .unwrap();
        env.as_object_mut().unwrap().remove("$schema");
        edit(&mut env);
        std::fs::write(dir.join("dev.json"), env.to_string()).unwrap();
        dir
    }
}

#[test]
fn vault_stack_deploys_redeploys_updates_and_destroys_through_the_cli() {
    let Some(w) = World::start("deploy through the CLI on moto", true) else {
        return;
    };
    let run = w.deploy(&["--yes"]);
    assert_eq!(run.code, 0, "{}", run.all());
    // The repository's stack, then publish, then the service's stack.
    let at = |text: &str| {
        run.stdout
            .find(text)
            .unwrap_or_else(|| panic!("no {text:?} in: {}", run.all()))
    };
    let published = format!("Published Vault/Image: {}/vault-api@sha256:", w.registry.host);
    assert!(at("Step 1 of 3: the images' repositories (VaultImages).") < at("Stack VaultImages (CloudFormation)"));
    assert!(at("Stack VaultImages (CloudFormation)") < at("Step 2 of 3: publish 1 image."));
    assert!(at("Step 2 of 3: publish 1 image.") < at(&published));
    assert!(at(&published) < at("Step 3 of 3: the stacks running the images (Vault)."));
    assert!(at("Step 3 of 3: the stacks running the images (Vault).") < at("Stack Vault (CloudFormation)"));
    let reference = run.stdout[at(&published) + "Published Vault/Image: ".len()..]
        .lines()
        .next()
        .unwrap()
        .to_string();
    let digest = reference.rsplit_once('@').unwrap().1.to_string();
    assert_eq!(digest.len(), "sha256:".len() + 64, "{reference}");
    // The digest names the manifest the registry holds.
    w.python(&format!(
        "import hashlib, urllib.request\nr = urllib.request.Request('http://{}/v2/vault-api/manifests/{digest}', headers={{'Accept': 'application/vnd.oci.image.manifest.v1+json'}})\nbody = urllib.request.urlopen(r).read()\nassert 'sha256:' + hashlib.sha256(body).hexdigest() == '{digest}'",
        w.registry.host
    ));
    // Lookups resolved to what network.py created, and said so.
    let vpc = w.network["vpc"].as_str().unwrap();
    assert!(
        run.stdout
            .contains(&format!("Resolved Vpc = {vpc} (VPC tagged Name=vpc-name-goes-here)")),
        "{}",
        run.all()
    );
    assert!(
        run.stdout
            .contains("Resolved PrivateListener = arn:aws:elasticloadbalancing:"),
        "{}",
        run.all()
    );
    // Said once, although each of the three steps connects.
    assert_eq!(
        run.stdout.matches("Account 123456789012 in eu-west-2").count(),
        1,
        "{}",
        run.all()
    );
    assert!(run.stdout.contains("[+] AWS::ECS::Service Api\n"), "{}", run.all());
    assert!(run.stdout.contains("broadens permissions"), "{}", run.all());
    assert!(
        run.stdout
            .contains("Approved by --yes: deploying Vault: it broadens IAM or security-group permissions"),
        "{}",
        run.all()
    );
    assert!(run.stdout.contains("CREATE_COMPLETE"), "{}", run.all());
    assert!(w.dir.path().join("out/cloudformation/Vault.template.json").is_file());
    assert!(w.dir.path().join("out/outputs/Vault.json").is_file());

    let report = w.report();
    assert_eq!(report["status"], "CREATE_COMPLETE");
    // The task definition runs exactly what was pushed, by digest.
    assert_eq!(report["images"], serde_json::json!([reference]));
    // The ECS service, as the ECS API describes it.
    let services = report["services"].as_array().unwrap();
    assert_eq!(services.len(), 1, "{services:?}");
    assert_eq!(services[0]["serviceName"], "vault-api");
    assert_eq!(services[0]["desiredCount"], 2);

    // The listener has the /vault* rule at priority 1, forwarding to an IP target group.
    let rules = report["rules"].as_array().unwrap();
    let rule = rules
        .iter()
        .find(|r| r["Priority"] == "1")
        .unwrap_or_else(|| panic!("no priority-1 rule: {rules:?}"));
    assert_eq!(rule["Conditions"][0]["Field"], "path-pattern");
    let values = &rule["Conditions"][0]["PathPatternConfig"]["Values"];
    let values = if values.is_null() {
        &rule["Conditions"][0]["Values"]
    } else {
        values
    };
    assert_eq!(values[0], "/vault*");
    assert_eq!(rule["Actions"][0]["Type"], "forward");
    let tg_arn = rule["Actions"][0]["TargetGroupArn"].as_str().unwrap();
    let tg = report["target_groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["TargetGroupArn"] == tg_arn)
        .unwrap();
    assert_eq!(tg["TargetType"], "ip");
    assert_eq!(tg["TargetGroupName"], "vault-api");
    assert_eq!(tg["HealthCheckPath"], "/vault");

    // The task role's policies name only the table's, the bucket's and their key's ARNs.
    let resources = &report["resources"];
    let physical = |logical: &str| {
        resources[logical]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no {logical}"))
            .to_string()
    };
    let table = format!("arn:aws:dynamodb:eu-west-2:123456789012:table/{}", physical("Items"));
    let bucket = format!("arn:aws:s3:::{}", physical("Objects"));
    let key = &report["keys"][physical("DataKey")];
    let key_arn = key["arn"].as_str().expect("the data key exists in KMS").to_string();
    let allowed = [
        table.clone(),
        format!("{table}/index/*"),
        bucket.clone(),
        format!("{bucket}/*"),
        // The table's and the bucket's customer-managed key, for the key use their grants need.
        key_arn.clone(),
        key_arn.clone(),
    ];
    assert_eq!(key["rotation"], true, "the key rotates");
    let sids: Vec<&str> = key["policy"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    assert_eq!(
        sids,
        [
            "KeyAdministration",
            "UseThroughDataServices",
            "CloudWatchLogsOfThisAccount"
        ]
    );
    let policies = report["role_policies"][physical("ApiTaskRole")]
        .as_object()
        .expect("task role policies");
    assert_eq!(
        policies.keys().collect::<Vec<_>>(),
        ["Items-read-write", "Objects-read-write"]
    );
    let mut named: Vec<String> = Vec::new();
    for doc in policies.values() {
        for statement in doc["Statement"].as_array().unwrap() {
            assert_eq!(statement["Effect"], "Allow");
            for r in statement["Resource"].as_array().unwrap() {
                named.push(r.as_str().unwrap().to_string());
            }
        }
    }
    named.sort();
    let mut expected = allowed.to_vec();
    expected.sort();
    assert_eq!(
        named, expected,
        "the task role reaches exactly the table (and its indexes), the bucket (and its objects) and their key"
    );

    // Again with no change: nothing to do.
    let again = w.deploy(&["--yes"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(
        again
            .stderr
            .contains("nothing changed: 1 image is up to date and already in the registry; nothing was pushed"),
        "{}",
        again.all()
    );
    assert!(
        again.stdout.contains(&format!("Published Vault/Image: {reference}\n")),
        "the same digest: {}",
        again.all()
    );
    assert!(
        again.stdout.contains("VaultImages: no changes; nothing to deploy."),
        "{}",
        again.all()
    );
    assert!(
        again.stdout.contains("Stack Vault (CloudFormation): no changes"),
        "{}",
        again.all()
    );
    assert!(
        again.stdout.contains("Vault: no changes; nothing to deploy."),
        "{}",
        again.all()
    );
    let diff = w.stack(&["diff"]);
    assert_eq!(diff.code, 0, "diff with no changes exits 0: {}", diff.all());

    // A changed desired count is a modification of the service.
    let three = w.env_dir("three", |e| e["desired_count"] = 3.into());
    let three = three.to_str().unwrap();
    let diff = w.stack(&["diff", "--env-dir", three]);
    assert_eq!(diff.code, 2, "diff with changes exits 2: {}", diff.all());
    assert!(
        diff.stdout
            .contains("[~] AWS::ECS::Service Api\n    DesiredCount: 2 → 3\n"),
        "{}",
        diff.all()
    );
    assert!(
        diff.stdout
            .contains("Vault: 0 to add, 1 to change, 0 to replace, 0 to remove"),
        "{}",
        diff.all()
    );
    let update = w.deploy(&["--env-dir", three, "--yes"]);
    assert_eq!(update.code, 0, "{}", update.all());
    assert!(update.stdout.contains("UPDATE_COMPLETE"), "{}", update.all());
    assert_eq!(w.report()["services"][0]["desiredCount"], 3);

    // Destroy lists what goes and what stays, then deletes.
    let destroy = w.stack(&["destroy", "--env-dir", three, "--yes"]);
    assert_eq!(destroy.code, 0, "{}", destroy.all());
    assert!(
        destroy.stdout.contains("[-] AWS::ECS::Service Api ("),
        "{}",
        destroy.all()
    );
    assert!(
        destroy
            .stdout
            .contains("Retained, left in the account and no longer managed (3):\n  AWS::KMS::Key DataKey"),
        "the key, the table and the bucket are retained: {}",
        destroy.all()
    );
    assert!(
        destroy.stdout.contains("Vault: destroyed (DELETE_COMPLETE)"),
        "{}",
        destroy.all()
    );
    assert_eq!(w.report()["status"], Json::Null);
    assert!(!w.dir.path().join("out/outputs/Vault.json").exists());
    // The service's stack goes before its repository's.
    let vault = destroy.stdout.find("Vault: destroyed (DELETE_COMPLETE)").unwrap();
    let images = destroy
        .stdout
        .find("VaultImages: destroyed (DELETE_COMPLETE)")
        .unwrap_or_else(|| panic!("{}", destroy.all()));
    assert!(vault < images, "{}", destroy.all());
    w.assert_no_stack("VaultImages");
}

#[test]
fn a_failed_publish_deploys_nothing_after_it() {
    let Some(w) = World::start("deploy with a failed publish on moto", true) else {
        return;
    };
    // A registry that is not there: a free port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let r = w.stack(&[
        "deploy",
        "--yes",
        "--registry",
        &closed.to_string(),
        "--insecure",
        "--cargo-profile",
        "image-test",
        "--manifest-path",
        &workspace_manifest(),
    ]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("error: publish failed: "), "{}", r.all());
    assert!(
        r.stderr.contains("Nothing after publish was deployed: Vault (left as it was). Deployed before it: VaultImages. Fix the cause and run deploy again."),
        "{}",
        r.all()
    );
    assert!(!r.stdout.contains("Published "), "{}", r.all());
    w.assert_no_stack("Vault");
    w.python("assert cfn.describe_stacks(StackName='VaultImages')['Stacks'][0]['StackStatus'] == 'CREATE_COMPLETE'");
}

#[test]
fn refusals_name_the_problem_and_change_nothing() {
    let Some(w) = World::start("deploy refusals on moto", false) else {
        return;
    };
    let nothing_deployed = |w: &World| {
        w.assert_no_stack("VaultImages");
        w.assert_no_stack("Vault");
    };
    // An unknown --stack: before any AWS call.
    let r = w.stack(&["deploy", "--stack", "Nope", "--yes"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert_eq!(
        r.stderr.trim(),
        "error: no stack named \"Nope\" in this app; its stacks: VaultImages, Vault"
    );

    // No credentials.
    let r = w.run_with(
        &["deploy", "--yes"],
        &[
            ("AWS_ACCESS_KEY_ID".into(), String::new()),
            ("AWS_SECRET_ACCESS_KEY".into(), String::new()),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("error: no usable AWS credentials"), "{}", r.all());

    // The wrong region, then the wrong account.
    let r = w.run_with(&["deploy", "--yes"], &[("AWS_REGION".into(), "us-east-1".into())]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("it is for region eu-west-2 (environment dev, ")
            && r.stderr.contains("but the region is us-east-1"),
        "{}",
        r.all()
    );
    let other = w.env_dir("other-account", |e| e["account"] = "999999999999".into());
    let r = w.stack(&["deploy", "--yes", "--env-dir", other.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("it is for account 999999999999")
            && r.stderr.contains("the credentials are for account 123456789012"),
        "{}",
        r.all()
    );

    // A lookup matching nothing, then several.
    let r = w.stack(&["deploy", "--yes"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("error: parameter Vpc: no VPC matches: VPC tagged Name=vpc-name-goes-here; tag exactly one VPC, or give the VPC by id (in account 123456789012 in eu-west-2). Nothing was changed."),
        "{}",
        r.all()
    );
    w.python("for c in ('10.1.0.0/16', '10.2.0.0/16'):\n    v = ec2.create_vpc(CidrBlock=c)['Vpc']['VpcId']\n    ec2.create_tags(Resources=[v], Tags=[{'Key': 'Name', 'Value': 'vpc-name-goes-here'}])");
    let r = w.stack(&["diff"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr
            .contains("error: parameter Vpc: 2 VPCs match VPC tagged Name=vpc-name-goes-here: vpc-"),
        "{}",
        r.all()
    );
    nothing_deployed(&w);
}

#[test]
fn a_stack_in_a_blocked_state_or_needing_approval_is_left_alone() {
    let Some(w) = World::start("deploy blocked states on moto", true) else {
        return;
    };
    // Approval is needed (new IAM roles) and there is no terminal: refused.
    // (The repository's stack needs none: it deploys, and the image is
    // published, before the service's stack is refused.)
    let r = w.deploy(&[]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("error: approval needed (deploying Vault: it broadens IAM or security-group permissions) but there is no terminal to ask on. Nothing was changed"),
        "{}",
        r.all()
    );
    // The refused change set leaves no stack behind.
    w.assert_no_stack("Vault");
    // moto leaves a stack whose creation failed in CREATE_IN_PROGRESS.
    w.python("try:\n    cfn.create_stack(StackName='Vault', TemplateBody=json.dumps({'Resources': {'Q': {'Type': 'AWS::SQS::Queue', 'Properties': {'QueueName': 'bad', 'FifoQueue': True}}}}))\nexcept Exception:\n    pass\nassert cfn.describe_stacks(StackName='Vault')['Stacks'][0]['StackStatus'] == 'CREATE_IN_PROGRESS'");
    // Checked before anything changes, even with the repository's stack first.
    for command in [["deploy", "--yes"], ["destroy", "--yes"]] {
        let r = w.stack(&command);
        assert_eq!(r.code, 1, "{}", r.all());
        assert!(
            r.stderr.contains("error: stack Vault is CREATE_IN_PROGRESS: another operation is still running on it. Wait for it to finish (watch it with `aws cloudformation describe-stack-events --stack-name Vault`), then run this again. Nothing was changed."),
            "{}",
            r.all()
        );
    }
    w.python("assert cfn.describe_stacks(StackName='Vault')['Stacks'][0]['StackStatus'] == 'CREATE_IN_PROGRESS'");
}

#[test]
fn terraform_refusals_name_what_is_missing() {
    let Some(w) = World::start("terraform refusals on moto", true) else {
        return;
    };
    // terraform missing from PATH.
    let empty = w.dir.path().join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let r = w.run_with(
        &["diff", "--target", "terraform"],
        &[("PATH".into(), empty.display().to_string())],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("error: terraform is not on PATH"), "{}", r.all());
    // A terraform older than the output is written for (the synthesized
    // `terraform` block states the version in a comment only, so deploy checks).
    let old = w.dir.path().join("old-terraform");
    std::fs::create_dir_all(&old).unwrap();
    let fake = old.join("terraform");
    std::fs::write(&fake, "#!/bin/sh\necho '{\"terraform_version\":\"1.4.6\"}'\n").unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:/usr/bin:/bin", old.display());
    let r = w.run_with(&["diff", "--target", "terraform"], &[("PATH".into(), path)]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("is Terraform 1.4.6; the output is written for Terraform >= 1.5.0: install a newer terraform. Nothing was changed."),
        "{}",
        r.all()
    );
    // A state bucket that does not exist.
    if tools::require(tools::terraform(), "terraform state bucket refusal").is_none() {
        return;
    }
    let s3 =
        w.env_dir(
            "s3-state",
            |e| e["deploy"] = serde_json::json!({"terraform_state": {"s3": {"bucket": "no-such-state-bucket"}}}),
        );
    let r = w.stack(&[
        "deploy",
        "--target",
        "terraform",
        "--yes",
        "--env-dir",
        s3.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("error: the Terraform state bucket s3://no-such-state-bucket (deploy.terraform_state.s3 in the environment file) does not exist in account 123456789012"),
        "{}",
        r.all()
    );
    assert!(
        !w.dir.path().join("out/terraform/Vault/.terraform").exists(),
        "terraform did not run"
    );
}

#[test]
fn a_listener_priority_taken_by_another_rule_is_reported_and_blocks_the_deploy() {
    let Some(w) = World::start("listener priority clash on moto", true) else {
        return;
    };
    let listener = w.network["listener_arn"].as_str().unwrap();
    w.python(&format!(
        "elbv2.create_rule(ListenerArn='{listener}', Priority=1, Conditions=[{{'Field': 'path-pattern', 'Values': ['/other*']}}], Actions=[{{'Type': 'fixed-response', 'FixedResponseConfig': {{'StatusCode': '404'}}}}])"
    ));
    let diff = w.stack(&["diff"]);
    assert_eq!(diff.code, 2, "{}", diff.all());
    let warning = format!(
        "! ApiListenerRule: priority 1 on listener {listener} is already used by rule arn:aws:elasticloadbalancing:"
    );
    assert!(diff.stdout.contains(&warning), "{}", diff.all());
    assert!(
        diff.stdout
            .contains("which this stack does not own; the deploy would fail. Choose a free priority."),
        "{}",
        diff.all()
    );
    let deploy = w.deploy(&["--yes"]);
    assert_eq!(deploy.code, 1, "{}", deploy.all());
    assert!(
        deploy
            .stderr
            .contains("error: 1 listener rule priority clash(es) (see Warnings above); nothing was changed"),
        "{}",
        deploy.all()
    );
    w.assert_no_stack("Vault");
}

#[test]
fn vault_terraform_diff_plans_every_resource_against_the_looked_up_network() {
    let Some(w) = World::start("vault terraform diff on moto", true) else {
        return;
    };
    let Some(_) = tools::require(tools::terraform(), "vault terraform diff on moto") else {
        return;
    };
    // The provider crashes applying aws_ecs_service against moto: plan only.
    let cfg = tools::TerraformConfig::new(w.dir.path()).unwrap();
    let module = w.dir.path().join("out/terraform/Vault");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(module.join("moto_override.tf.json"), tools::TERRAFORM_MOTO_OVERRIDE).unwrap();
    let tf_env = [("TF_CLI_CONFIG_FILE".to_string(), cfg.file.display().to_string())];
    let r = w.run_with(&["diff", "--target", "terraform"], &tf_env);
    assert_eq!(r.code, 2, "{}", r.all());
    let resources = constructs::synth(
        &stack::vault::app("dev", &dev_environment()),
        &[constructs::Backend::Terraform],
    )
    .unwrap()
    .into_iter()
    .find(|a| a.stack == stack::vault::STACK)
    .unwrap()
    .resource_count;
    // diff publishes nothing: the image is a placeholder.
    assert!(
        r.stdout.contains(&format!(
            "image: not published by diff; shown as vault-api@sha256:{}",
            "0".repeat(64)
        )),
        "{}",
        r.all()
    );
    assert!(r.stdout.contains("Stack Vault (Terraform): new stack"), "{}", r.all());
    assert!(r.stdout.contains("[+] aws_ecs_service.api\n"), "{}", r.all());
    assert!(
        r.stdout.contains(&format!(
            "Vault: {resources} to add, 0 to change, 0 to replace, 0 to remove"
        )),
        "{}",
        r.all()
    );
    assert!(
        r.stdout
            .contains("Terraform state: state/terraform/dev/Vault/terraform.tfstate"),
        "{}",
        r.all()
    );
    assert!(
        !w.dir.path().join("out/terraform/Vault/deploy.tfplan").exists(),
        "the plan file is removed"
    );
    assert!(
        !w.dir
            .path()
            .join("state/terraform/dev/Vault/terraform.tfstate")
            .exists(),
        "a diff writes no state"
    );
}

fn dev_environment() -> stack::environment::Environment {
    stack::environment::parse(
        Path::new("dev.json"),
        &std::fs::read_to_string(Path::new(&shipped_environments()).join("dev.json")).unwrap(),
    )
    .unwrap()
}
