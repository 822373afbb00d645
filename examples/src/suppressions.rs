//! Reasoned suppressions: a stack that deliberately does two things the checks
//! flag, and says why, so reviewers read the reason next to the resource in
//! both outputs (CloudFormation `Metadata`, a Terraform `//` comment). Each
//! suppression of a rule also skips the rule's checkov counterparts, and the
//! third one suppresses a checkov check directly (`CKV_AWS_18`), so checkov
//! reports all three as skipped with their reasons.
//!
//! Run: `cargo run -p examples --bin suppressions -- check` (clean, with two
//! suppressed findings listed) and `-- synth`.

use constructs::prelude::*;

pub fn app() -> App {
    let mut app = App::new();
    let stack = app.stack("Suppressions");
    stack.set_description("An internet-facing HTTPS entry point and a scratch bucket, with reasoned suppressions");
    let vpc = stack.add("Vpc", VpcLookup::by_id("vpc-0123456789abcdef0"));
    let edge = stack.add(
        "EdgeSecurityGroup",
        SecurityGroup::new("HTTPS from the internet to the public load balancer", vpc.id())
            .ingress(Rule::tcp(Peer::any_ipv4(), 443).description("HTTPS from anywhere"))
            .ingress(Rule::tcp(Peer::any_ipv6(), 443).description("HTTPS from anywhere")),
    );
    stack.suppress(
        &edge,
        "ec2-open-ingress",
        "public load balancer: HTTPS only, TLS terminated and filtered by AWS WAF before the services",
    );
    let scratch = stack.add("BuildScratch", Bucket::new().unversioned().destroy_on_delete());
    stack.suppress(
        &scratch,
        "s3-versioning",
        "holds reproducible build intermediates; old versions would only cost money",
    );
    // A checkov check we have no rule for, suppressed through the same API.
    stack.suppress(
        &scratch,
        "CKV_AWS_18",
        "no server access logs for throwaway build intermediates; the build system logs what it writes",
    );
    stack.output("EdgeSecurityGroupId", edge.id(), "Attach to the public load balancer");
    stack.output("ScratchBucket", scratch.name(), "Build intermediates");
    app
}
