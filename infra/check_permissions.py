"""Judges every AWS call the functions made against their policies in template.yaml.

The cloud-shaped stack (shared/cloud) records each call a function's binary makes (service,
operation, request) in a JSON-lines file, and the names it gave each resource in a JSON file.
This script expands the template as SAM does (aws-sam-translator: policy templates such as
LambdaInvokePolicy become IAM statements on each function's role), resolves Ref/GetAtt/Sub to
those names, turns each call into the IAM actions and resource ARNs AWS would authorise, and
evaluates them: an explicit Deny or no matching Allow is a refusal.

    python infra/check_permissions.py --template template.yaml \
        --calls target/cloud/aws-calls.jsonl --names target/cloud/resources.json

Prints every refusal as `Function: action on resource is not allowed`, then the grants no
recorded call used; exits 1 if anything was refused. moto's own IAM mode cannot do this: it
checks DynamoDB actions against resource `*`, so table-scoped policies fail wholesale.
"""
import argparse
import os
import base64
import fnmatch
import json
import re
import sys
from email.parser import Parser
from email.utils import parseaddr

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

REGION = "us-east-1"
ACCOUNT = "123456789012"


class NoManagedPolicies:
    """SAM asks for managed policy ARNs by name only for names it does not know."""

    def load(self):
        return {}


def resolver(names):
    refs, attrs = names["refs"], names["attrs"]
    pseudo = {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::Partition": "aws",
        "AWS::StackName": names["stack"],
        "AWS::URLSuffix": "amazonaws.com",
    }

    def ref(name):
        if name in pseudo:
            return pseudo[name]
        if name in refs:
            return refs[name]
        raise KeyError(f"Ref {name}")

    def get_att(name, attr):
        key = f"{name}.{attr}"
        if key in attrs:
            return attrs[key]
        raise KeyError(f"GetAtt {key}")

    def sub(text, variables):
        def one(m):
            name = m.group(1)
            if name in variables:
                return resolve(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return get_att(*name.split(".", 1))
            return ref(name)

        return re.sub(r"\$\{([^}!]+)\}", one, text)

    def resolve(v):
        if isinstance(v, str):
            return v
        if isinstance(v, dict) and len(v) == 1:
            (k, a), = v.items()
            if k == "Ref":
                return ref(a)
            if k == "Fn::GetAtt":
                parts = a if isinstance(a, list) else a.split(".", 1)
                return get_att(parts[0], parts[1])
            if k == "Fn::Sub":
                if isinstance(a, list):
                    return sub(a[0], a[1])
                return sub(a, {})
            if k == "Fn::Join":
                return a[0].join(resolve(x) for x in a[1])
            if k == "Fn::Select":
                return resolve_list(a[1])[int(a[0])]
            if k == "Fn::If":
                condition, yes, no = a
                return resolve(yes if names["conditions"][condition] else no)
        raise ValueError(f"cannot resolve {v!r}")

    def resolve_list(v):
        if isinstance(v, list):
            return [resolve(x) for x in v]
        if isinstance(v, dict) and list(v) == ["Fn::Split"]:
            separator, text = v["Fn::Split"]
            return resolve(text).split(separator)
        raise ValueError(f"cannot resolve {v!r}")

    return resolve


def as_list(v):
    return v if isinstance(v, list) else [v]


def chosen(v, conditions):
    """A statement as deployed: `Fn::If` picks a branch; `AWS::NoValue` is no statement."""
    while isinstance(v, dict) and list(v) == ["Fn::If"]:
        condition, yes, no = v["Fn::If"]
        v = yes if conditions[condition] else no
    return None if v == {"Ref": "AWS::NoValue"} else v


def function_policies(cfn, resolve, conditions):
    """Logical id of each function (as named in SAM) → its role's resolved statements."""
    out = {}
    for fid, res in cfn["Resources"].items():
        if res["Type"] != "AWS::Lambda::Function":
            continue
        role = res["Properties"]["Role"]
        role_id = role["Fn::GetAtt"][0] if isinstance(role, dict) else None
        statements = []
        for policy in cfn["Resources"].get(role_id, {}).get("Properties", {}).get("Policies", []):
            for s in as_list(policy["PolicyDocument"]["Statement"]):
                s = chosen(s, conditions)
                if s is None:
                    continue
                if "NotAction" in s or "NotResource" in s:
                    raise ValueError(f"{fid}: NotAction/NotResource are not evaluated here")
                statements.append(
                    {
                        "effect": s["Effect"],
                        "actions": [a.lower() for a in as_list(s["Action"])],
                        "resources": [resolve(r) for r in as_list(s["Resource"])],
                        "conditional": "Condition" in s,
                    }
                )
        out[fid] = statements
    return out


def table_arn(name):
    return name if name.startswith("arn:") else f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def requested(call, names):
    """The (action, resource) pairs AWS authorises for one recorded call."""
    service, target, body = call["service"], call.get("target") or "", call.get("body") or {}
    op = target.split(".", 1)[1] if "." in target else ""
    if service == "dynamodb":
        if op == "TransactWriteItems":
            kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem"}
            return [(f"dynamodb:{kinds[k]}", table_arn(v["TableName"]))
                    for item in body["TransactItems"] for k, v in item.items()]
        if op == "TransactGetItems":
            return [("dynamodb:GetItem", table_arn(i["Get"]["TableName"])) for i in body["TransactItems"]]
        if op in ("BatchWriteItem", "BatchGetItem"):
            return [(f"dynamodb:{op}", table_arn(t)) for t in body["RequestItems"]]
        arn = table_arn(body["TableName"])
        if body.get("IndexName"):
            arn += "/index/" + body["IndexName"]
        return [(f"dynamodb:{op}", arn)]
    if service == "secretsmanager":
        secret = body["SecretId"]
        if not secret.startswith("arn:"):
            secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{secret}-??????"
        return [(f"secretsmanager:{op}", secret)]
    if service == "events":
        buses = []
        for entry in body.get("Entries", []):
            bus = entry.get("EventBusName", "default")
            buses.append(bus if bus.startswith("arn:") else f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{bus}")
        return [(f"events:{op}", b) for b in sorted(set(buses))]
    if service == "sqs":
        # JSON protocol: the queue by URL, `<endpoint>/<account>/<name>`.
        name = body["QueueUrl"].rstrip("/").rsplit("/", 1)[1]
        return [(f"sqs:{op}", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}")]
    if service == "states":
        arn = body.get("stateMachineArn") or body.get("executionArn")
        return [(f"states:{op}", arn)]
    if service == "s3":
        path = call["path"].lstrip("/")
        bucket, _, key = path.partition("/")
        method = call["method"]
        if key:
            action = {"GET": "GetObject", "HEAD": "GetObject", "PUT": "PutObject", "DELETE": "DeleteObject"}[method]
            return [(f"s3:{action}", f"arn:aws:s3:::{bucket}/{key}")]
        return [("s3:ListBucket", f"arn:aws:s3:::{bucket}")]
    if service == "ses" and call["path"].rstrip("/") == "/v2/email/outbound-emails":
        sender = body.get("FromEmailAddress")
        if not sender:
            raw = base64.b64decode(body["Content"]["Raw"]["Data"]).decode("utf-8", "replace")
            sender = parseaddr(Parser().parsestr(raw, headersonly=True).get("From", ""))[1]
        pairs = [("ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{sender}")]
        if body.get("ConfigurationSetName"):
            pairs.append(("ses:SendEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{body['ConfigurationSetName']}"))
        return pairs
    raise ValueError(f"{call['function']}: cannot name the IAM action of {service} {call['method']} {call['path']} {target}")


def matches(statement, action, resource):
    return any(fnmatch.fnmatchcase(action.lower(), a) for a in statement["actions"]) and any(
        fnmatch.fnmatchcase(resource, r) for r in statement["resources"]
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--template", required=True)
    parser.add_argument("--calls", required=True)
    parser.add_argument("--names", required=True)
    args = parser.parse_args()
    # SAM looks the region up like boto3 does.
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)

    names = json.load(open(args.names))
    with open(args.template) as f:
        sam = yaml_parse(f.read())
    # As `sam package` does before deploying: local code and definitions become S3 objects.
    for res in sam["Resources"].values():
        props = res.get("Properties", {})
        for key in ("CodeUri", "DefinitionUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = "s3://packaged/" + props[key]
    parameters = {k: v for k, v in names["refs"].items() if k in sam.get("Parameters", {})}
    cfn = transform(sam, parameters, NoManagedPolicies())
    resolve = resolver(names)
    policies = function_policies(cfn, resolve, names["conditions"])
    # SAM's implicit `Stage` stage (no OpenApiVersion) would skip every MethodSettings throttle.
    # (a Deployment with a StageName creates that stage too).
    stages = sorted(
        resolve(r["Properties"]["StageName"])
        for r in cfn["Resources"].values()
        if r["Type"] in ("AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment")
        and "StageName" in r.get("Properties", {})
    )
    print("API stages deployed: " + ", ".join(stages))

    refused, used, judged = [], set(), 0
    seen = set()
    with open(args.calls) as f:
        for line in f:
            call = json.loads(line)
            fid = call["function"]
            for action, resource in requested(call, names):
                if (fid, action, resource) in seen:
                    continue
                seen.add((fid, action, resource))
                judged += 1
                statements = policies.get(fid)
                if statements is None:
                    refused.append(f"{fid}: not a function of the template ({action} on {resource})")
                    continue
                hits = [i for i, s in enumerate(statements) if not s["conditional"] and matches(s, action, resource)]
                denied = any(statements[i]["effect"] == "Deny" for i in hits)
                allowed = [i for i in hits if statements[i]["effect"] == "Allow"]
                if denied or not allowed:
                    refused.append(f"{fid}: {action} on {resource} is not allowed by its policies")
                for i in allowed:
                    used.add((fid, i))

    for line in refused:
        print("REFUSED " + line)
    unused = []
    called = {fid for fid, _, _ in seen}
    for fid, statements in sorted(policies.items()):
        for i, s in enumerate(statements):
            if s["effect"] == "Allow" and (fid, i) not in used and fid in called:
                unused.append(f"{fid}: {', '.join(s['actions'])} on {', '.join(s['resources'])}")
    for line in unused:
        print("unused grant (no recorded call needed it) " + line)
    never = sorted(set(policies) - called)
    if never:
        print("functions that made no AWS call: " + ", ".join(never))
    print(f"{judged} distinct (function, action, resource) judged; {len(refused)} refused; {len(unused)} grants unused")
    return 1 if refused or stages != [names["refs"].get("StageName")] else 0


if __name__ == "__main__":
    sys.exit(main())
