"""moto_server, with one fidelity fix: moto's CloudFormation hands an
AWS::KMS::Key's Tags to KMS unchanged, in CloudFormation's shape (Key/Value),
and KMS then fails because its own API spells them TagKey/TagValue. AWS's
CloudFormation accepts Key/Value (and requires it), so the template the real
`deploy` command sends is valid; this wrapper converts the tags the way AWS
does before moto creates the key.

Usage: server.py -H 127.0.0.1 -p PORT (the arguments of moto_server)
"""
import sys

from moto.kms import models
from moto.server import main

create = models.Key.create_from_cloudformation_json.__func__


def create_with_cloudformation_tags(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    properties = cloudformation_json.get("Properties", {})
    if "Tags" in properties:
        properties["Tags"] = [
            {"TagKey": t.get("Key", t.get("TagKey")), "TagValue": t.get("Value", t.get("TagValue"))}
            for t in properties["Tags"]
        ]
    return create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)


models.Key.create_from_cloudformation_json = classmethod(create_with_cloudformation_tags)
main(sys.argv[1:])
