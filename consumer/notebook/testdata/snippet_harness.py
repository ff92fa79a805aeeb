"""Runs the rendered notebook snippets under boto3, against botocore's Stubber.

Every AWS call the snippet makes is checked against the service model (the
Stubber validates parameters and responses) and against the parameters
expected here; redshift_connector, AWS SDK for pandas and pandas are the
stand-ins under fakemodules/. One interpreter runs every case: the argument is
a JSON file naming the rendered snippets and the stack's values, and the
outcome of each case is printed as one JSON object.
"""

import contextlib
import datetime
import io
import json
import os
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "fakemodules"))

# The notebook's own session: the execution role, here with fixed keys and
# no configuration file, so nothing on this machine is read.
for variable in [name for name in os.environ if name.startswith("AWS_")]:
    del os.environ[variable]
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "ASIAEXECUTIONROLE000",
        "AWS_SECRET_ACCESS_KEY": "execution-role-secret",
        "AWS_SESSION_TOKEN": "execution-role-token",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
)

import boto3  # noqa: E402
import botocore.loaders  # noqa: E402
import botocore.session  # noqa: E402
from botocore.stub import Stubber  # noqa: E402
from dateutil.tz import tzutc  # noqa: E402

METADATA_FILE = '"/opt/ml/metadata/resource-metadata.json"'


def add_space_ownership_to_model(directory):
    """Adds DescribeSpace's OwnershipSettings and SpaceSharingSettings when the
    installed botocore predates them (they came with the new Studio, late 2023;
    Debian 12 ships botocore 1.29). The shapes are the SageMaker API
    reference's: OwnershipSettings.OwnerUserProfileName, a user profile name;
    SpaceSharingSettings.SharingType, Private or Shared. A newer botocore is
    used as it is. Returns whether the model was extended."""
    model = botocore.loaders.Loader().load_service_model("sagemaker", "service-2")
    shapes = model["shapes"]
    response = shapes["DescribeSpaceResponse"]["members"]
    if "OwnershipSettings" in response and "SpaceSharingSettings" in response:
        return False
    shapes["OwnershipSettings"] = {
        "type": "structure",
        "required": ["OwnerUserProfileName"],
        "members": {"OwnerUserProfileName": {"shape": "UserProfileName"}},
    }
    shapes["SharingType"] = {"type": "string", "enum": ["Private", "Shared"]}
    shapes["SpaceSharingSettings"] = {
        "type": "structure",
        "required": ["SharingType"],
        "members": {"SharingType": {"shape": "SharingType"}},
    }
    response["OwnershipSettings"] = {"shape": "OwnershipSettings"}
    response["SpaceSharingSettings"] = {"shape": "SpaceSharingSettings"}
    model_directory = os.path.join(directory, "sagemaker", model["metadata"]["apiVersion"])
    os.makedirs(model_directory)
    with open(os.path.join(model_directory, "service-2.json"), "w") as model_file:
        json.dump(model, model_file)
    os.environ["AWS_DATA_PATH"] = directory
    return True


# The responses each client created next answers with, by service, and the
# calls made: operation, parameters, and the access key the request is signed with.
plan = {}
stubbers = []
calls = []

create_client = botocore.session.Session.create_client


def create_stubbed_client(self, service_name, *args, **kwargs):
    client = create_client(self, service_name, *args, **kwargs)

    def record_parameters(params, model, context, **_):
        context["harness_call"] = {"service": service_name, "operation": model.name, "params": params}

    def record_signing_key(request_signer, context, **_):
        # What the signer does before every real request: it takes the
        # credentials, refreshing them when they are about to expire (a
        # refresh is a request of its own, recorded first). The Stubber
        # answers before signing, so this stands in for it.
        call = context["harness_call"]
        call["accessKey"] = request_signer._credentials.get_frozen_credentials().access_key
        calls.append(call)

    client.meta.events.register_first("before-parameter-build.*.*", record_parameters)
    client.meta.events.register_first("before-call.*.*", record_signing_key)
    stubber = Stubber(client)
    for operation, expected_params, response in plan.pop(service_name, []):
        stubber.add_response(operation, response, expected_params)
    stubber.activate()
    stubbers.append((service_name, stubber))
    return client


botocore.session.Session.create_client = create_stubbed_client

# Every case starts a new boto3 session, whose loader would parse each
# service's model again (SageMaker's is megabytes of JSON): the models are
# read once here, and are only read.
load_data_with_path = botocore.loaders.Loader.load_data_with_path
loaded = {}


def load_data_with_path_once(self, name):
    key = (name, tuple(self.search_paths))
    if key not in loaded:
        loaded[key] = load_data_with_path(self, name)
    return loaded[key]


botocore.loaders.Loader.load_data_with_path = load_data_with_path_once

NOW = datetime.datetime.now(tzutc())
AN_HOUR_LATER = NOW + datetime.timedelta(minutes=61)


def assume_role_call(stack, user, number, expiration, role_arn=None):
    """AssumeRole as AWS answers a chained call: SourceIdentity is the one
    SageMaker stamped on the notebook's session, whatever the caller asks;
    the expected parameters leave the caller no SourceIdentity of its own.
    role_arn is the role asked for: the producer role unless given."""
    role_arn = role_arn or stack["producerRoleArn"]
    return (
        "assume_role",
        {"RoleArn": role_arn, "RoleSessionName": user},
        {
            "Credentials": {
                "AccessKeyId": f"ASIAPRODUCER{number:08d}",
                "SecretAccessKey": f"producer-secret-{number}",
                "SessionToken": f"producer-token-{number}",
                "Expiration": expiration,
            },
            "AssumedRoleUser": {
                "AssumedRoleId": f"AROAPRODUCERROLE:{user}",
                "Arn": role_arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/" + user,
            },
            "SourceIdentity": user,
        },
    )


def cluster_credentials_call(stack, user):
    params = {"ClusterIdentifier": stack["clusterIdentifier"], "DbUser": user, "DbName": stack["database"], "AutoCreate": True}
    if stack["dbGroups"]:
        params["DbGroups"] = stack["dbGroups"]
    return (
        "get_cluster_credentials",
        params,
        {"DbUser": f"IAMA:{user}", "DbPassword": "database-password", "Expiration": NOW + datetime.timedelta(minutes=15)},
    )


def data_api_calls(stack, user, sql):
    return [
        (
            "execute_statement",
            {"ClusterIdentifier": stack["clusterIdentifier"], "Database": stack["database"], "DbUser": user, "Sql": sql},
            {"Id": "statement-1"},
        ),
        ("describe_statement", {"Id": "statement-1"}, {"Id": "statement-1", "Status": "FINISHED", "HasResultSet": True}),
        (
            "get_statement_result",
            {"Id": "statement-1"},
            {"ColumnMetadata": [{"name": "current_user"}], "Records": [[{"stringValue": user}]], "TotalNumRows": 1},
        ),
    ]


def serverless_data_api_calls(stack, db_user, sql):
    """The Data API on a workgroup: no DbUser, the role is the database user."""
    return [
        (
            "execute_statement",
            {"WorkgroupName": stack["workgroupName"], "Database": stack["database"], "Sql": sql},
            {"Id": "statement-1"},
        ),
        ("describe_statement", {"Id": "statement-1"}, {"Id": "statement-1", "Status": "FINISHED", "HasResultSet": True}),
        (
            "get_statement_result",
            {"Id": "statement-1"},
            {"ColumnMetadata": [{"name": "current_user"}], "Records": [[{"stringValue": db_user}]], "TotalNumRows": 1},
        ),
    ]


def serverless_calls(stack, db_user, connections):
    """GetWorkgroup for the endpoint, then GetCredentials per connection: no
    DbUser, and the answer names the role's database user."""
    workgroup = {
        "workgroupName": stack["workgroupName"],
        "endpoint": {"address": "analytics.111111111111.eu-west-1.redshift-serverless.amazonaws.com", "port": 5439},
    }
    return [("get_workgroup", {"workgroupName": stack["workgroupName"]}, {"workgroup": workgroup})] + [
        (
            "get_credentials",
            {"workgroupName": stack["workgroupName"], "dbName": stack["database"]},
            {"dbUser": db_user, "dbPassword": "database-password", "expiration": NOW + datetime.timedelta(minutes=15)},
        )
        for _ in range(connections)
    ]


def describe_space_call(metadata, response):
    space = {
        "DomainId": metadata["DomainId"],
        "SpaceName": metadata["SpaceName"],
        "SpaceArn": f"arn:aws:sagemaker:eu-west-1:222222222222:space/{metadata['DomainId']}/{metadata['SpaceName']}",
        "Status": "InService",
    }
    space.update(response)
    return ("describe_space", {"DomainId": metadata["DomainId"], "SpaceName": metadata["SpaceName"]}, space)


def run_case(stack, case, directory):
    """Runs one snippet with one metadata file; past an hour, connects again
    with the clock of the producer credentials 61 minutes on."""
    plan.clear()
    calls.clear()
    stubbers.clear()
    boto3.DEFAULT_SESSION = None
    import redshift_connector

    redshift_connector.connections.clear()

    metadata = case["metadata"]
    user = case.get("user")
    if case.get("describeSpace") is not None:
        plan["sagemaker"] = [describe_space_call(metadata, case["describeSpace"])]
    connections = 2 if case.get("afterAnHour") else 1
    # The database user: the consumer's namespace in split stacks, then the profile name.
    db_user = case.get("dbUserPrefix", "") + (user or "")
    serverless = case.get("serverless", False)
    if user:
        # A Serverless producer: the user's own role, named after the profile
        # (after the consumer's namespace, in split stacks).
        role_arn = stack["userRoleArnPrefix"] + db_user if serverless else None
        plan["sts"] = [assume_role_call(stack, user, 1, NOW + datetime.timedelta(hours=1), role_arn)]
        if case.get("afterAnHour"):
            plan["sts"].append(assume_role_call(stack, user, 2, AN_HOUR_LATER + datetime.timedelta(hours=1), role_arn))
        if serverless and case["mode"] == "dataApi":
            plan["redshift-data"] = [call for _ in range(connections) for call in serverless_data_api_calls(stack, "IAMR:" + db_user, "SELECT current_user")]
        elif serverless:
            plan["redshift-serverless"] = serverless_calls(stack, "IAMR:" + db_user, connections)
        elif case["mode"] == "dataApi":
            plan["redshift-data"] = [call for _ in range(connections) for call in data_api_calls(stack, db_user, "SELECT current_user")]
        else:
            plan["redshift"] = [] if case["mode"] == "managedEndpoint" else [
                ("describe_clusters", {"ClusterIdentifier": stack["clusterIdentifier"]},
                 {"Clusters": [{"Endpoint": {"Address": "analytics.c0a1b2c3d4e5.eu-west-1.redshift.amazonaws.com", "Port": 5439}}]})
            ]
            plan["redshift"] += [cluster_credentials_call(stack, db_user) for _ in range(connections)]

    metadata_path = os.path.join(directory, case["name"].replace(" ", "-") + ".json")
    with open(metadata_path, "w") as metadata_file:
        json.dump(metadata, metadata_file)
    with open(stack["snippets"][case.get("snippet") or case["mode"]]) as snippet_file:
        source = snippet_file.read()
    if METADATA_FILE not in source:
        return {"outcome": "error", "message": "the snippet does not read " + METADATA_FILE}
    namespace = {"__name__": "__notebook__"}
    result = {}
    printed = io.StringIO()
    try:
        # What the snippet prints is the notebook's output, not the report's.
        with contextlib.redirect_stdout(printed):
            exec(compile(source.replace(METADATA_FILE, json.dumps(metadata_path)), case["name"], "exec"), namespace)
            if case.get("afterAnHour"):
                namespace["session"].get_credentials()._time_fetcher = lambda: AN_HOUR_LATER
                if case["mode"] == "dataApi":
                    namespace["read_sql_query"]("SELECT current_user")
                else:
                    namespace["connect"]()
        result.update(outcome="ok", user=namespace["user"])
    except RuntimeError as error:
        result.update(outcome="refused", message=str(error))
    except Exception:
        result.update(outcome="error", message=traceback.format_exc())
    pending = []
    for service, stubber in stubbers:
        try:
            stubber.assert_no_pending_responses()
        except AssertionError as error:
            pending.append(f"{service}: {error}")
    # Copies: the next case starts these lists again.
    result.update(calls=list(calls), connections=list(redshift_connector.connections), printed=printed.getvalue())
    result["unusedStubs"] = pending + [f"{service}: no client was made" for service in plan]
    return result


def main():
    with open(sys.argv[1]) as cases_file:
        stack = json.load(cases_file)
    with tempfile.TemporaryDirectory() as directory:
        extended = add_space_ownership_to_model(os.path.join(directory, "models"))
        results = {case["name"]: run_case(stack, case, directory) for case in stack["cases"]}
    print(json.dumps({"modelExtended": extended, "results": results}, default=str))


main()
