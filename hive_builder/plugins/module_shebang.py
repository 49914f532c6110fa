"""Modules beginning with `#!/usr/bin/env python` run under ansible-core 2.19 as they did before.

The original hive-builder ran on Ansible versions that ignored a Python module's own first line:
every module ran with the host's Python interpreter (`ansible_python_interpreter`, else the one
interpreter discovery found). Projects written for it keep modules that begin with
`#!/usr/bin/env python` — the manual's own sample (the powerdns modules in `lib/`) does. Later
ansible-core versions broke them in two steps:

- 2.13 (ansible/ansible#76677) honours the module's shebang. For `/usr/bin/env python` the
  interpreter is `env`: only the variable `ansible_env_interpreter` can replace it, never
  `ansible_python_interpreter` or `interpreter_python`, and the word `python` is appended to
  whatever replaces it (ansible/ansible#79665, #82737);
- 2.17.1 shell-quotes interpreter and arguments as ONE word, so the command becomes
  `'/usr/bin/env python' <module>`, which no shell finds: "The module interpreter
  '/usr/bin/env python' was not found", on every host, whether a `python` exists or not
  (ansible/ansible#83603: arguments in a module shebang are not supported).

No inventory variable or ansible.cfg setting can undo that, so `install()` (called when Ansible
loads hive's inventory plugins, i.e. for every hive phase and for any `ANSIBLE_CONFIG=<temp_dir>/
ansible.cfg` run, before the workers fork) wraps the controller-side function that picks a
module's interpreter: a shebang of `/usr/bin/env` followed by one `python`, `python3` or
`python3.<n>` is resolved like `#!/usr/bin/python` — `ansible_python_interpreter` of the host,
else ansible.cfg `interpreter_python` (hive: `auto_silent`, i.e. discovery). A project still
chooses per host or group with `ansible_python_interpreter` in its group_vars, and one that sets
`ansible_env_interpreter` gets Ansible's own handling unchanged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

PYTHON_WORD = re.compile(r"python[0-9.]*")
MARK = "_hive_env_python"


def is_env_python(interpreter: object, args: Sequence[object]) -> bool:
    """`#!/usr/bin/env python3` -> interpreter '/usr/bin/env', args ['python3']: True."""
    return (os.path.basename(str(interpreter)).strip() == "env" and len(args) == 1
            and PYTHON_WORD.fullmatch(str(args[0])) is not None)


def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
    def _get_shebang(interpreter: Any, task_vars: Mapping[str, Any], templar: Any,
                     args: Sequence[Any] = (), *rest: Any, **kwargs: Any) -> Any:
        if is_env_python(interpreter, args) and "ansible_env_interpreter" not in task_vars:
            return original("/usr/bin/python", task_vars, templar, (), *rest, **kwargs)
        return original(interpreter, task_vars, templar, args, *rest, **kwargs)

    setattr(_get_shebang, MARK, True)
    _get_shebang.__wrapped__ = original  # type: ignore[attr-defined]
    return _get_shebang


def install() -> bool:
    """Wrap ansible's module_common._get_shebang once; False where there is none to wrap."""
    from ansible.executor import module_common
    original = getattr(module_common, "_get_shebang", None)
    if original is None:
        return False
    if not getattr(original, MARK, False):
        module_common._get_shebang = wrap(original)
    return True
