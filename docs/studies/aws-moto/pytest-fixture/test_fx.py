import boto3, subprocess, os, sys
def test_debian_ami_and_clean(aws_env):
    ec2 = boto3.client("ec2", region_name="ap-northeast-1")   # endpoint from AWS_ENDPOINT_URL
    imgs = ec2.describe_images(Owners=["136693071363"])["Images"]
    assert sorted(i["ImageId"] for i in imgs)[-1] == "ami-0de12ccccccccccc3"
    ec2.create_vpc(CidrBlock="10.1.0.0/24")
    assert len(ec2.describe_vpcs()["Vpcs"]) == 2
def test_reset_between_tests(aws_env):
    ec2 = boto3.client("ec2", region_name="ap-northeast-1")
    assert len(ec2.describe_vpcs()["Vpcs"]) == 1
def test_ansible_module_via_AWS_URL(aws_env):
    pb = os.path.join(os.path.dirname(__file__), "pb.yml")
    open(pb, "w").write("- hosts: localhost\n  gather_facts: false\n  tasks:\n    - amazon.aws.ec2_vpc_net: {region: ap-northeast-1, name: t, cidr_block: 10.2.0.0/24}\n")
    r = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
                        "-e", "ansible_python_interpreter=" + sys.executable, pb], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
    assert "changed=1" in r.stdout
