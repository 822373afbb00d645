"""Reports what a deployed stack created in a moto_server, as the AWS APIs describe it.

Usage: report.py ENDPOINT STACK_NAME LISTENER_ARN

Prints one JSON document on stdout: the stack's status (or null when there is
no such stack), its resources, the listener's rules, the target groups, the ECS
services and the images their task definitions name, the IAM roles' inline
policies and the KMS keys (rotation, key policy). The deploy itself is done by the
real `deploy` command; assertions are the Rust test's job.
"""
import ast
import json
import sys

import boto3

endpoint, stack_name, listener_arn = sys.argv[1:4]
session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-2")
client = lambda name: session.client(name, endpoint_url=endpoint)
elbv2, cfn, ecs, iam, kms = (client(n) for n in ("elbv2", "cloudformation", "ecs", "iam", "kms"))

try:
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
except cfn.exceptions.ClientError:
    stack = None
if stack and stack["StackStatus"] == "DELETE_COMPLETE":
    stack = None  # moto still describes deleted stacks by name; AWS does not

report = {
    "status": stack and stack["StackStatus"],
    "resources": {
        r["LogicalResourceId"]: {"type": r["ResourceType"], "id": r.get("PhysicalResourceId"), "status": r["ResourceStatus"]}
        for r in (cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"] if stack else [])
    },
    "rules": elbv2.describe_rules(ListenerArn=listener_arn)["Rules"],
    "target_groups": elbv2.describe_target_groups()["TargetGroups"],
    "services": [],
    "images": [],
    "role_policies": {},
    "keys": {},
}
for cluster in ecs.list_clusters()["clusterArns"]:
    arns = ecs.list_services(cluster=cluster)["serviceArns"]
    if arns:
        report["services"] += [s for s in ecs.describe_services(cluster=cluster, services=arns)["services"] if s["status"] == "ACTIVE"]
for service in report["services"]:
    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    report["images"] += [c["image"] for c in task["containerDefinitions"]]


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
for key in kms.list_keys()["Keys"]:
    key_id = key["KeyId"]
    report["keys"][key_id] = {
        "arn": key["KeyArn"],
        "rotation": kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"],
        "policy": document(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]),
    }
print(json.dumps(report, default=str))
