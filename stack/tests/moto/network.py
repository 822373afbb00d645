"""The existing network the vault stack looks up, created in a moto_server.

Creates what the seed assumes exists, with the lookup keys of
stack/environments/dev.json: a VPC tagged Name=vpc-name-goes-here, two subnets
tagged Tier=private, the internal load balancer `lb-private` with the security
group `private-lb-security-group`, and a listener on port 443.

As a script (`network.py ENDPOINT`) it prints the created ids as JSON.
"""
import json
import sys

import boto3


def create(session, endpoint):
    ec2 = session.client("ec2", endpoint_url=endpoint)
    elbv2 = session.client("elbv2", endpoint_url=endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "vpc-name-goes-here"}])
    subnets = []
    for i, az in ((1, "a"), (2, "b")):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"eu-west-2{az}")
        subnets.append(subnet["Subnet"]["SubnetId"])
    ec2.create_tags(Resources=subnets, Tags=[{"Key": "Tier", "Value": "private"}])
    lb_sg = ec2.create_security_group(
        GroupName="private-lb-security-group", Description="private lb", VpcId=vpc
    )["GroupId"]
    lb = elbv2.create_load_balancer(
        Name="lb-private", Subnets=subnets, SecurityGroups=[lb_sg], Scheme="internal", Type="application"
    )
    lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    listener_arn = elbv2.create_listener(
        LoadBalancerArn=lb_arn,
        Protocol="HTTP",
        Port=443,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}],
    )["Listeners"][0]["ListenerArn"]
    return {
        "vpc": vpc,
        "subnets": subnets,
        "lb_security_group": lb_sg,
        "lb_arn": lb_arn,
        "listener_arn": listener_arn,
    }


if __name__ == "__main__":
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-2"
    )
    print(json.dumps(create(session, sys.argv[1])))
