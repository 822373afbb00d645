"""Deploys a synthesized CloudFormation template to a moto_server and reports what it created.

Usage: deploy.py ENDPOINT TEMPLATE STACK_NAME [PARAMETER=VALUE ...]

If the template looks anything up, first creates, through the EC2 and ELBv2
APIs, what it looks up (network.py: the seed's VPC, private subnets, load
balancer, its security group and its port-443 listener); then fills the
template's parameters (those given as PARAMETER=VALUE, the others by their
type), creates the stack, waits for a final status and prints one JSON
document on stdout: the stack status, its outputs, and the ECS services and
their task definitions, listener rules, target groups and IAM role policies
as the APIs describe them. Assertions are the Rust test's job.
"""
import ast
import json
import sys
import time

import boto3

import network

endpoint, template_path, stack_name = sys.argv[1:4]
given = dict(arg.split("=", 1) for arg in sys.argv[4:])
session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-2")
client = lambda name: session.client(name, endpoint_url=endpoint)
elbv2, cfn, ecs, iam = (client(n) for n in ("elbv2", "cloudformation", "ecs", "iam"))

with open(template_path) as f:
    template_body = f.read()
template = json.loads(template_body)
looks_up = any(s["Type"].startswith(("AWS::EC2::", "List<AWS::EC2::")) for s in template.get("Parameters", {}).values())
if looks_up:
    net = network.create(session, endpoint)
    vpc, subnets, lb_sg, lb_arn, listener_arn = (net[k] for k in ("vpc", "subnets", "lb_security_group", "lb_arn", "listener_arn"))
    by_type = {
        "AWS::EC2::VPC::Id": vpc,
        "List<AWS::EC2::Subnet::Id>": ",".join(subnets),
        "AWS::EC2::SecurityGroup::Id": lb_sg,
    }
else:
    by_type, lb_arn, listener_arn = {}, None, None
parameters = []
for name, spec in template.get("Parameters", {}).items():
    pattern = spec.get("AllowedPattern", "")
    if name in given:
        value = given[name]
    elif spec["Type"] in by_type:
        value = by_type[spec["Type"]]
    elif ":listener/" in pattern:
        value = listener_arn
    elif ":loadbalancer/" in pattern:
        value = lb_arn
    elif "Default" in spec:
        continue
    else:
        sys.exit(f"deploy.py: no value for parameter {name} of type {spec['Type']}")
    parameters.append({"ParameterKey": name, "ParameterValue": value})

cfn.create_stack(StackName=stack_name, TemplateBody=template_body, Parameters=parameters,
                 Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"])
deadline = time.time() + 120
while True:
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    if not stack["StackStatus"].endswith("IN_PROGRESS") or time.time() > deadline:
        break
    time.sleep(0.5)

report = {
    "status": stack["StackStatus"],
    "status_reason": stack.get("StackStatusReason"),
    "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
    "resources": {
        r["LogicalResourceId"]: {"type": r["ResourceType"], "id": r.get("PhysicalResourceId"), "status": r["ResourceStatus"]}
        for r in cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    },
    "listener_arn": listener_arn,
    "rules": elbv2.describe_rules(ListenerArn=listener_arn)["Rules"] if listener_arn else [],
    "target_groups": elbv2.describe_target_groups()["TargetGroups"],
    "services": [],
    "task_definitions": {},
    "role_policies": {},
}
for cluster in ecs.list_clusters()["clusterArns"]:
    arns = ecs.list_services(cluster=cluster)["serviceArns"]
    if arns:
        report["services"] += ecs.describe_services(cluster=cluster, services=arns)["services"]
for service in report["services"]:
    arn = service["taskDefinition"]
    report["task_definitions"][arn] = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
def document(doc):
    # boto3 decodes policy documents; moto's CloudFormation stores some as Python reprs.
    if isinstance(doc, str):
        try:
            return json.loads(doc)
        except ValueError:
            return ast.literal_eval(doc)
    return doc


for role in iam.list_roles()["Roles"]:
    names = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
    report["role_policies"][role["RoleName"]] = {
        n: document(iam.get_role_policy(RoleName=role["RoleName"], PolicyName=n)["PolicyDocument"]) for n in names
    }
print(json.dumps(report, default=str))
