"""Exit 1 if anything of the project is left. Uses the describe_* calls of each resource type:
moto's describe_tags keeps the tags of deleted resources (stale), so it cannot be trusted."""
import os, sys, boto3
ep = os.environ.get("AWS_URL", "http://127.0.0.1:15000"); proj = sys.argv[1] if len(sys.argv) > 1 else "hivestudy"
ec2 = boto3.client("ec2", endpoint_url=ep, region_name=os.environ.get("AWS_REGION", "ap-northeast-1"))
F = [{"Name": "tag:Project", "Values": [proj]}]
left = {
    "vpcs": [v["VpcId"] for v in ec2.describe_vpcs(Filters=F)["Vpcs"]],
    "igws": [g["InternetGatewayId"] for g in ec2.describe_internet_gateways(Filters=F)["InternetGateways"]],
    "subnets": [s["SubnetId"] for s in ec2.describe_subnets(Filters=F)["Subnets"]],
    "route_tables": [r["RouteTableId"] for r in ec2.describe_route_tables(Filters=F)["RouteTables"]],
    "security_groups": [g["GroupId"] for g in ec2.describe_security_groups(Filters=F)["SecurityGroups"]],
    "key_pairs": [k["KeyName"] for k in ec2.describe_key_pairs(Filters=F)["KeyPairs"]],
    "instances": [i["InstanceId"] for r in ec2.describe_instances(Filters=F + [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped", "shutting-down"]}])["Reservations"] for i in r["Instances"]],
    "volumes": [v["VolumeId"] for v in ec2.describe_volumes(Filters=F)["Volumes"]],
    "addresses": [a["PublicIp"] for a in ec2.describe_addresses(Filters=F)["Addresses"]],
    # untagged leftovers too
    "all_non_default_vpcs": [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]],
    "all_addresses": [a["PublicIp"] for a in ec2.describe_addresses()["Addresses"]],
    "all_volumes": [v["VolumeId"] for v in ec2.describe_volumes()["Volumes"]],
    "all_enis": [n["NetworkInterfaceId"] for n in ec2.describe_network_interfaces()["NetworkInterfaces"]],
}
stale = sorted({t["ResourceType"] for t in ec2.describe_tags(Filters=F)["Tags"]})
for k, v in left.items():
    print(f"{k:22} {v}")
print("describe_tags still lists (stale on moto):", stale)
sys.exit(1 if any(left.values()) else 0)
