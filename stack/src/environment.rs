//! Per-environment configuration: what differs between dev, staging and prod
//! (account, region, the existing network and load balancer, desired
//! count) lives in one JSON file per environment, never in Rust code.
//!
//! The files are read strictly: unknown fields are rejected, and every error names
//! the file, the field and what is expected. `cargo run -p stack -- schema` prints
//! the JSON Schema so editors validate the files as they are written (each file
//! points at it with `"$schema"`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use constructs::lookup::{ListenerLookup, LoadBalancerLookup, SecurityGroupLookup, SubnetsLookup, VpcLookup};
use constructs::{Handle, Stack};

/// One environment the vault stack is deployed to.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Editors' pointer to the schema; ignored by the stack.
    #[serde(rename = "$schema", default, skip_serializing)]
    #[schemars(skip)]
    pub schema: Option<String>,
    /// The 12-digit AWS account id. Terraform refuses to run against any other
    /// account (`allowed_account_ids`).
    pub account: String,
    /// The region, e.g. `eu-west-2`.
    pub region: String,
    /// The existing VPC.
    pub vpc: VpcRef,
    /// The existing private subnets the tasks run in.
    pub private_subnets: SubnetsRef,
    /// The existing private load balancer.
    pub load_balancer: LoadBalancerRef,
    /// The load balancer's existing listener that gets the routing rule.
    pub listener: ListenerRef,
    /// The load balancer's existing security group; the service admits only it.
    pub load_balancer_security_group: SecurityGroupRef,
    /// How many tasks run.
    pub desired_count: u32,
    /// How `deploy` works in this environment (where Terraform keeps state).
    #[serde(default)]
    pub deploy: DeploySettings,
}

/// Per-environment settings of `diff`/`deploy`/`destroy`. Optional in every
/// environment file; a team's own environment type returns its own from
/// [`CheckEnvironment::deploy_settings`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeploySettings {
    /// Where Terraform keeps state: `"local"` (the default:
    /// `state/terraform/<env>/<Stack>/terraform.tfstate`, next to `out/`) or
    /// `{"s3": {...}}`.
    #[serde(default)]
    pub terraform_state: TerraformStateSetting,
}

/// Where Terraform keeps this environment's state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TerraformStateSetting {
    /// `state/terraform/<env>/<Stack>/terraform.tfstate` on this machine.
    #[default]
    Local,
    /// An existing S3 bucket, encrypted, with S3-native locking (Terraform >= 1.10).
    S3(S3State),
}

/// A Terraform S3 backend.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3State {
    /// The bucket (it must exist; deploy checks before running Terraform).
    pub bucket: String,
    /// The object key; `{stack}` is replaced by the stack's name. Default:
    /// `<env>/<Stack>/terraform.tfstate`.
    #[serde(default)]
    pub key: Option<String>,
    /// The bucket's region; default: the environment's region.
    #[serde(default)]
    pub region: Option<String>,
}

/// Reads a "one of these keys" object (`{"id": …}` or `{"name_tag": …}`)
/// through a struct of options, so an unknown or extra key gets a message
/// naming the keys allowed instead of serde's "expected value".
macro_rules! one_of {
    ($(#[$doc:meta])* $name:ident via $raw:ident = $raw_str:literal { $($variant:ident($field:ident: $ty:ty)),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
        #[serde(rename_all = "snake_case", deny_unknown_fields, try_from = $raw_str)]
        pub enum $name {
            $($variant($ty)),+
        }

        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $raw {
            $(#[serde(default)] $field: Option<$ty>),+
        }

        impl TryFrom<$raw> for $name {
            type Error = String;
            fn try_from(raw: $raw) -> Result<Self, String> {
                let mut found = Vec::new();
                $(if let Some(v) = raw.$field { found.push($name::$variant(v)); })+
                match (found.pop(), found.is_empty()) {
                    (Some(v), true) => Ok(v),
                    _ => Err(format!("give exactly one of {}", [$(concat!("`", stringify!($field), "`")),+].join(" or "))),
                }
            }
        }
    };
}

one_of! {
    /// An existing VPC: by id, or by its `Name` tag as the seed does.
    VpcRef via VpcRefRaw = "VpcRefRaw" { Id(id: String), NameTag(name_tag: String) }
}

one_of! {
    /// Existing subnets: by id, or the VPC's subnets carrying all of these tags.
    SubnetsRef via SubnetsRefRaw = "SubnetsRefRaw" { Ids(ids: Vec<String>), Tags(tags: BTreeMap<String, String>) }
}

one_of! {
    /// An existing load balancer: by ARN or by name.
    LoadBalancerRef via LoadBalancerRefRaw = "LoadBalancerRefRaw" { Arn(arn: String), Name(name: String) }
}

one_of! {
    /// An existing listener: by ARN, or by its port on the load balancer.
    ListenerRef via ListenerRefRaw = "ListenerRefRaw" { Arn(arn: String), Port(port: u16) }
}

one_of! {
    /// An existing security group: by id, or by name within the VPC.
    SecurityGroupRef via SecurityGroupRefRaw = "SecurityGroupRefRaw" { Id(id: String), Name(name: String) }
}

/// Why an environment could not be loaded. Displays as
/// `<file>: <field>: <what is wrong and what is expected>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentError {
    pub file: PathBuf,
    /// The field's path, e.g. `private_subnets.ids[1]`; empty for the file itself.
    pub field: String,
    pub message: String,
}

impl fmt::Display for EnvironmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}: {}: {}", self.file.display(), self.field, self.message)
        }
    }
}

impl std::error::Error for EnvironmentError {}

/// An environment file's checks beyond its types (id formats, ranges), as
/// `(field path, message)` pairs. Implement it for your own environment struct
/// to get [`load`] and the CLI's `--env` and `schema` for it.
pub trait CheckEnvironment {
    fn check(&self) -> Vec<(String, String)>;

    /// The environment's deploy settings; the default keeps Terraform state
    /// locally. Add a `deploy: DeploySettings` field to your type and return it
    /// to let its files choose (the vault stack's [`Environment`] does).
    fn deploy_settings(&self) -> DeploySettings {
        DeploySettings::default()
    }
}

/// The environment variable that points the runner at an environment
/// directory, like `--env-dir` (the flag wins).
pub const ENV_DIR_VARIABLE: &str = "STACK_ENV_DIR";

/// Finds an app's environment directory when the command runs, never at
/// compile time: a binary built in one checkout (a shared `CARGO_TARGET_DIR`,
/// an installed binary, a CI artifact) must read the files of the checkout it
/// runs in. In order: [`ENV_DIR_VARIABLE`] if set; `dir` itself if absolute;
/// otherwise `dir` under the current directory or under the nearest ancestor
/// that has it, so `cargo run` works from any folder of the checkout.
pub fn find_dir(dir: &Path) -> Result<PathBuf, String> {
    if let Some(from_env) = std::env::var_os(ENV_DIR_VARIABLE).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(from_env);
        return if path.is_dir() {
            Ok(path)
        } else {
            Err(format!("{ENV_DIR_VARIABLE}={} is not a directory", path.display()))
        };
    }
    if dir.is_absolute() {
        return if dir.is_dir() {
            Ok(dir.to_path_buf())
        } else {
            Err(format!("the environment directory {} does not exist", dir.display()))
        };
    }
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    cwd.ancestors()
        .map(|a| a.join(dir))
        .find(|candidate| candidate.is_dir())
        .ok_or_else(|| {
            format!(
                "no environment directory {} in {} or any folder above it; run from the project's checkout, or pass --env-dir (or set {ENV_DIR_VARIABLE})",
                dir.display(),
                cwd.display()
            )
        })
}

/// Loads `<dir>/<name>.json` strictly into `T`. An unknown name lists the
/// environments that exist; a malformed file names the field and what is expected.
pub fn load<T: DeserializeOwned + CheckEnvironment>(dir: &Path, name: &str) -> Result<T, Vec<EnvironmentError>> {
    let file = dir.join(format!("{name}.json"));
    let err = |field: &str, message: String| {
        vec![EnvironmentError {
            file: file.clone(),
            field: field.into(),
            message,
        }]
    };
    let valid_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid_name || !file.is_file() {
        let known = names(dir);
        let known = if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        };
        return Err(err(
            "",
            format!(
                "no environment named {name:?} in {}; known environments: {known}",
                dir.display()
            ),
        ));
    }
    let text = std::fs::read_to_string(&file).map_err(|e| err("", format!("cannot be read: {e}")))?;
    parse(&file, &text)
}

/// Parses and checks an environment file's text; `file` is used in messages.
pub fn parse<T: DeserializeOwned + CheckEnvironment>(file: &Path, text: &str) -> Result<T, Vec<EnvironmentError>> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let env: T = serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { String::new() } else { field };
        vec![EnvironmentError {
            file: file.into(),
            field,
            message: e.into_inner().to_string(),
        }]
    })?;
    let problems = env.check();
    if problems.is_empty() {
        Ok(env)
    } else {
        Err(problems
            .into_iter()
            .map(|(field, message)| EnvironmentError {
                file: file.into(),
                field,
                message,
            })
            .collect())
    }
}

/// The environment names in `dir` (file stems of `*.json`), sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            (p.extension()? == "json").then(|| p.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    names.sort();
    names
}

/// The JSON Schema of `T`'s environment files, pretty-printed.
pub fn json_schema<T: JsonSchema>() -> String {
    let schema = schemars::schema_for!(T);
    serde_json::to_string_pretty(&schema).expect("schema serializes") + "\n"
}

/// The existing resources an environment names, added to a stack as lookups.
pub struct ExistingNetwork {
    pub vpc: Handle<VpcLookup>,
    pub subnets: Handle<SubnetsLookup>,
    pub listener: Handle<ListenerLookup>,
    pub load_balancer_security_group: Handle<SecurityGroupLookup>,
}

impl Environment {
    /// Adds the environment's VPC, subnets, listener and load balancer security
    /// group to `stack` as lookups (Terraform data sources, CloudFormation parameters).
    pub fn add_lookups(&self, stack: &mut Stack) -> ExistingNetwork {
        let vpc = stack.add(
            "Vpc",
            match &self.vpc {
                VpcRef::Id(id) => VpcLookup::by_id(id),
                VpcRef::NameTag(n) => VpcLookup::by_name_tag(n),
            },
        );
        let subnets = stack.add(
            "PrivateSubnets",
            match &self.private_subnets {
                SubnetsRef::Ids(ids) => SubnetsLookup::by_ids(&ids.iter().map(String::as_str).collect::<Vec<_>>()),
                SubnetsRef::Tags(tags) => {
                    let tags: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    SubnetsLookup::by_tags(vpc.id(), &tags)
                }
            },
        );
        let listener = match (&self.listener, &self.load_balancer) {
            (ListenerRef::Arn(arn), _) => stack.add("PrivateListener", ListenerLookup::by_arn(arn)),
            (ListenerRef::Port(port), lb) => {
                let lb = stack.add(
                    "PrivateLb",
                    match lb {
                        LoadBalancerRef::Arn(arn) => LoadBalancerLookup::by_arn(arn),
                        LoadBalancerRef::Name(n) => LoadBalancerLookup::by_name(n),
                    },
                );
                stack.add("PrivateListener", ListenerLookup::by_port(lb.arn(), *port))
            }
        };
        let load_balancer_security_group = stack.add(
            "PrivateLbSecurityGroup",
            match &self.load_balancer_security_group {
                SecurityGroupRef::Id(id) => SecurityGroupLookup::by_id(id),
                SecurityGroupRef::Name(n) => SecurityGroupLookup::by_name(n, vpc.id()),
            },
        );
        ExistingNetwork {
            vpc,
            subnets,
            listener,
            load_balancer_security_group,
        }
    }
}

impl CheckEnvironment for Environment {
    fn deploy_settings(&self) -> DeploySettings {
        self.deploy.clone()
    }

    /// Format checks serde cannot express.
    fn check(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut expect = |ok: bool, field: String, message: String| {
            if !ok {
                out.push((field, message));
            }
        };
        expect(
            self.account.len() == 12 && self.account.bytes().all(|b| b.is_ascii_digit()),
            "account".into(),
            format!("{:?} is not an AWS account id: expected 12 digits", self.account),
        );
        expect(
            is_region(&self.region),
            "region".into(),
            format!("{:?} is not a region name like \"eu-west-2\"", self.region),
        );
        match &self.vpc {
            VpcRef::Id(id) => expect(
                is_aws_id(id, "vpc"),
                "vpc.id".into(),
                format!("{id:?} is not a VPC id: expected vpc- and 8 or 17 hex digits"),
            ),
            VpcRef::NameTag(n) => expect(!n.is_empty(), "vpc.name_tag".into(), "must not be empty".into()),
        }
        match &self.private_subnets {
            SubnetsRef::Ids(ids) => {
                expect(
                    !ids.is_empty(),
                    "private_subnets.ids".into(),
                    "needs at least one subnet id".into(),
                );
                for (i, id) in ids.iter().enumerate() {
                    expect(
                        is_aws_id(id, "subnet"),
                        format!("private_subnets.ids[{i}]"),
                        format!("{id:?} is not a subnet id: expected subnet- and 8 or 17 hex digits"),
                    );
                }
            }
            SubnetsRef::Tags(tags) => expect(
                !tags.is_empty(),
                "private_subnets.tags".into(),
                "needs at least one tag".into(),
            ),
        }
        match &self.load_balancer {
            LoadBalancerRef::Arn(a) => expect(
                is_arn(a, "elasticloadbalancing", "loadbalancer/"),
                "load_balancer.arn".into(),
                format!("{a:?} is not a load balancer ARN"),
            ),
            LoadBalancerRef::Name(n) => expect(
                constructs::lookup::is_load_balancer_name(n),
                "load_balancer.name".into(),
                format!("{n:?} is not a load balancer name: 1-32 letters, digits or hyphens, not starting or ending with a hyphen"),
            ),
        }
        match &self.listener {
            ListenerRef::Arn(a) => expect(
                is_arn(a, "elasticloadbalancing", "listener/"),
                "listener.arn".into(),
                format!("{a:?} is not a listener ARN"),
            ),
            ListenerRef::Port(p) => expect(*p > 0, "listener.port".into(), "must be 1-65535".into()),
        }
        match &self.load_balancer_security_group {
            SecurityGroupRef::Id(id) => expect(
                is_aws_id(id, "sg"),
                "load_balancer_security_group.id".into(),
                format!("{id:?} is not a security group id: expected sg- and 8 or 17 hex digits"),
            ),
            SecurityGroupRef::Name(n) => expect(
                !n.is_empty(),
                "load_balancer_security_group.name".into(),
                "must not be empty".into(),
            ),
        }
        if let TerraformStateSetting::S3(s3) = &self.deploy.terraform_state {
            expect(
                is_bucket_name(&s3.bucket),
                "deploy.terraform_state.s3.bucket".into(),
                format!(
                    "{:?} is not an S3 bucket name: 3-63 lowercase letters, digits, '.' or '-'",
                    s3.bucket
                ),
            );
            if let Some(r) = &s3.region {
                expect(
                    is_region(r),
                    "deploy.terraform_state.s3.region".into(),
                    format!("{r:?} is not a region name like \"eu-west-2\""),
                );
            }
        }
        expect(
            self.desired_count <= 1000,
            "desired_count".into(),
            format!("{} is more than 1000 tasks", self.desired_count),
        );
        out
    }
}

fn is_bucket_name(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
        && b.starts_with(|c: char| c.is_ascii_alphanumeric())
        && b.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `vpc-0123abcd` or `vpc-0123456789abcdef0`.
fn is_aws_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|hex| (hex.len() == 8 || hex.len() == 17) && is_hex(hex))
}

fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && parts.last().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_arn(a: &str, service: &str, resource_prefix: &str) -> bool {
    let parts: Vec<&str> = a.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == service
        && is_region(parts[3])
        && parts[4].len() == 12
        && parts[5].starts_with(resource_prefix)
}
