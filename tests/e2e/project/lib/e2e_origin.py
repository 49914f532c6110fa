#!/usr/bin/env python
# A project module written for the original hive-builder (first line `#!/usr/bin/env python`, as
# in the manual's powerdns sample): it must run unchanged in build containers and service tasks.
import json
import platform
import sys

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"path": {"type": "str", "required": True}})
    with open(module.params["path"], "w") as f:
        json.dump({"python": sys.executable, "version": platform.python_version()}, f)
    module.exit_json(changed=False, python=sys.executable)


if __name__ == "__main__":
    main()
