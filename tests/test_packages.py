"""Every program the demo's lab, its roles and its agents run comes from a package `make demo` installs.

`make demo` installs `scripts/install-debian-packages.sh base`: the lists `base`, `base_quiet` and
`backports` of that script. On a fresh Debian 12 a program the demo runs from a package that only
`make test` installs fails the demo half way (issue 28: chronyd, then nft). How the programs are found:

- the roles, as the demo runs them on the lab (site.yml, and the remediations the console offers):
  each task and handler of playbooks/roles/*/tasks|handlers that runs a program (command, shell,
  a module's `validate:`), with its `argv`, `cmd` or shell script; a `"{{ var }}"` argv or program is
  read from the role's defaults; `start-stop-daemon ... --startas X` also runs X. A task is left out
  only when its `when` (its own and that of every import_tasks leading to it) holds a condition that is
  false on every lab host (LAB_NEVER below, each checked against the lab inventory's host variables);
  programs under a templated path are the project's own (the agent's venv), not Debian's;
- the lab itself (console/lab/*.py, read with `ast`): the first argument of `run(...)` calls
  (console.lab.commands), the first item of a list given to `subprocess.run/Popen`, any list that
  starts with a program's absolute path (run through `ip netns exec`), the program of an
  `.exec(namespace, program, ...)` call (the inline sensor's namespaces), and NUT's programs named to
  `_binary(...)`, with module-level string constants resolved;
- the agents on the lab hosts and the controller: the collectors' programs (AGENT_PROGRAMS, from
  their modules' constants where they have one) and what Ansible runs on the controller;
- the modules of Debian's python3 that the demo runs with `-m` or that the agents' venvs import from it
  (DEBIAN_MODULES), by the file python3 finds each in.

Each program's path is resolved to its package with `dpkg -S` (the merged-/usr twin path too); the
package must be in the base lists or pulled in by one of them (Depends/Pre-Depends of the installed
packages, alternatives and virtual packages included), or be Essential or of Priority required (on
every Debian system).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from console.lab import inventory as lab_inventory
from console.lab import ups as lab_ups
from console.lab.state import LabHost, LabState
from probes.collectors import lynis as lynis_collector
from probes.collectors import sshd as sshd_collector
from probes.collectors import updates as updates_collector

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "install-debian-packages.sh"
ROLES = ROOT / "playbooks" / "roles"
# Roles the demo never runs: ops_console installs the console on a department's server (playbooks/console.yml),
# whose own package list brings nginx and openssl there; its lab test installs nginx with the test packages.
NOT_IN_THE_DEMO = {"ops_console"}
LAB_CODE = ROOT / "console" / "lab"
SEARCH_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MODULES = {"command", "ansible.builtin.command", "shell", "ansible.builtin.shell"}
SHELL_WORDS = {"if", "then", "else", "elif", "fi", "for", "in", "do", "done", "while", "until", "case", "esac",
               "exit", "echo", "set", "true", "false", "test", "[", "[[", "return", "local", "export"}

# Conditions no lab host meets, with the lab host variable (console.lab.inventory.host_vars) that says so.
LAB_NEVER = {
    r"service_manager\s*==\s*'systemd'": ("ops_service_manager", "process"),
    r"manage_packages\s*\|\s*bool": ("ops_manage_packages", False),
    r"ops_baseline_manage_accounts\s*\|\s*bool": ("ops_baseline_manage_accounts", False),
    # The lab's unit has no ops_antivirus_provider: group_vars/all.yml's clamav.
    r"ops_antivirus_provider\s*==\s*'kesl'": ("ops_antivirus_provider", None),
    # clamd starts only where it has signatures: the demo gives no ops_antivirus_clamav_database_files and no
    # freshclam mirror answers in the lab, so the demo runs no clamd (its agents report the antivirus missing).
    r"has_signatures|signatures\.matched": ("ops_antivirus_clamav_database_files", None),
}
# Programs of the agents on the lab hosts (probes/collectors) and of Ansible on the controller.
AGENT_PROGRAMS = {
    sshd_collector.SSHD: "agent: sshd -T (probes/collectors/sshd.py)",
    lynis_collector.LYNIS: "agent: Lynis audits (probes/collectors/lynis.py)",
    lynis_collector.NICE: "agent: nice (probes/collectors/lynis.py)",
    updates_collector.APT_GET: "agent: pending updates (probes/collectors/updates.py)",
    "chronyc": "agent: clock offset (probes/collectors/health.py)",
    "nft": "agent: firewall ruleset (probes/collectors/firewall.py)",
    "ss": "agent: listening sockets (probes/collectors/firewall.py)",
    "/usr/bin/python3": "the agents' venv and Ansible's modules on the lab hosts",
    "ssh": "Ansible's connection to the lab hosts (controller)",
    "sha1sum": "ops_agent's lookup('pipe', 'sha1sum ...') on the controller",
}

# Modules of Debian's python3 the demo runs (`python3 -m ...`) or imports there, each with its users: a module
# file resolves to its package with `dpkg -S` like a program. A program check cannot see them: python3 is
# there, and `python3 -m venv` still fails without python3-venv's ensurepip.
DEBIAN_MODULES = {
    "ensurepip": "make demo-setup: python3 -m venv .venv (Makefile)",
    "venv": "ops_agent: python3 -m venv --system-site-packages (the agents' venvs on the lab hosts)",
    "pip": "the lab's agent wheel (/usr/bin/python3 -m pip wheel, console/lab/wheel.py) and its install into "
           "the agent's venv (ops_agent: venv/bin/python -m pip install; the venv has no pip of its own)",
    "setuptools": "the agent wheel's build backend (pip wheel --no-build-isolation, console/lab/wheel.py)",
    "wheel": "the agent wheel's build (bdist_wheel, console/lab/wheel.py)",
    "psutil": "the agents' venvs see Debian's python3-psutil (the wheel is installed --no-deps)",
    "click": "the agents' venvs see Debian's python3-click",
    "cryptography": "the agents' venvs see Debian's python3-cryptography",
}
DEBIAN_PYTHON = "/usr/bin/python3"


@dataclass(frozen=True)
class Program:
    name: str
    where: str


def script_lists(text: str) -> dict[str, list[str]]:
    """The bash arrays `name=( ... )` of the install script, comments left out."""
    lists, current = {}, None
    for line in text.splitlines():
        code = line.split("#", 1)[0]
        if current is None:
            match = re.match(r"^(\w+)=\((.*)$", code)
            if not match:
                continue
            current, code = match.group(1), match.group(2)
            lists[current] = []
        words, closed, _ = code.partition(")")
        lists[current] += words.split()
        if closed:
            current = None
    return lists


def base_packages(text: str) -> set[str]:
    lists = script_lists(text)
    return set(lists.get("base", [])) | set(lists.get("base_quiet", [])) | set(lists.get("backports", []))


# --- the roles ---------------------------------------------------------------------------------------

def lab_host_vars() -> dict:
    state = LabState(name="demo", directory="/var/lab/demo", subnet_index=0, bridge="olbr")
    host = LabHost("lab-host-01", "198.19.0.11", "ops-lab-demo-lab-host-01", "olv001", "/hosts/h", "/sshd/h")
    return lab_inventory.host_vars(state, host, "http://198.19.0.1:8080", "/wheel.whl")


def conditions(when) -> list[str]:
    if when is None:
        return []
    return [str(item) for item in when] if isinstance(when, list) else [str(when)]


def never_in_lab(whens: list[str]) -> bool:
    """True when one conjunct of the conditions is false on every lab host (each of its `or` parts is)."""
    for when in whens:
        for conjunct in re.split(r"\s+and\s+", when):
            parts = re.split(r"\s+or\s+", conjunct)
            if all(any(re.search(pattern, part) for pattern in LAB_NEVER) for part in parts):
                return True
    return False


def role_task_files(role: Path) -> list[tuple[Path, list[str]]]:
    """(file, inherited conditions) for tasks/main.yml, every file it imports (with their when), and handlers."""
    found, queue = [], [(role / "tasks" / "main.yml", [])]
    seen = set()
    while queue:
        path, inherited = queue.pop()
        if (path, tuple(inherited)) in seen or not path.exists():
            continue
        seen.add((path, tuple(inherited)))
        found.append((path, inherited))
        for task in yaml.safe_load(path.read_text()) or []:
            target = task.get("ansible.builtin.import_tasks") or task.get("import_tasks")
            if target:
                queue.append((path.parent / target, inherited + conditions(task.get("when"))))
    for path in sorted((role / "tasks").glob("*.yml")):  # a file only a remediation imports (tasks_from)
        if not any(path == item for item, _ in found):
            found.append((path, []))
    handlers = role / "handlers" / "main.yml"
    if handlers.exists():
        found.append((handlers, []))
    return found


def render(value, defaults: dict):
    """A whole "{{ var }}" read from the role's defaults; anything else as it is."""
    if isinstance(value, str):
        match = re.fullmatch(r"\{\{\s*(\w+)\s*\}\}", value.strip())
        if match and match.group(1) in defaults:
            return defaults[match.group(1)]
    return value


def shell_programs(script: str) -> list[str]:
    """The first word of each command of a shell script (Jinja expressions and quoted strings left out)."""
    script = re.sub(r"\{\{.*?\}\}|'[^']*'|\"[^\"]*\"|\d*[<>]&?\s*[^\s;|&]+", " ", script)
    names = []
    for segment in re.split(r"[;\n|&()`<>]|\$\(", script):
        words = [w for w in segment.split() if "=" not in w]
        if words and words[0] not in SHELL_WORDS and re.fullmatch(r"[A-Za-z/][\w./-]*", words[0]):
            names.append(words[0])
    return names


def task_programs(task: dict, defaults: dict) -> list[str]:
    names = []
    for key, args in task.items():
        if key in MODULES:
            if isinstance(args, str):
                argv = args.split() if key.endswith("command") else None
                names += shell_programs(args) if argv is None else argv[:1]
            elif isinstance(args, dict):
                argv = render(args.get("argv"), defaults)
                if isinstance(argv, list) and argv:
                    names.append(str(render(argv[0], defaults)))
                    if "--startas" in argv:
                        names.append(str(argv[argv.index("--startas") + 1]))
                elif args.get("cmd"):
                    cmd = str(args["cmd"])
                    names += shell_programs(cmd) if key.endswith("shell") else cmd.split()[:1]
        if isinstance(args, dict) and args.get("validate"):
            names.append(str(args["validate"]).split()[0])
    return [name for name in names if "{{" not in name]  # a templated path: the project's own files


def role_programs() -> list[Program]:
    programs = []
    for role in sorted(p for p in ROLES.iterdir() if p.is_dir() and p.name not in NOT_IN_THE_DEMO):
        defaults_file = role / "defaults" / "main.yml"
        defaults = yaml.safe_load(defaults_file.read_text()) if defaults_file.exists() else {}
        for path, inherited in role_task_files(role):
            for task in yaml.safe_load(path.read_text()) or []:
                if never_in_lab(inherited + conditions(task.get("when"))):
                    continue
                for name in task_programs(task, defaults or {}):
                    programs.append(Program(name, f"{path.relative_to(ROOT)}: {task.get('name')!r}"))
    return programs


# --- the lab's own code ------------------------------------------------------------------------------

def lab_programs() -> list[Program]:
    programs = []
    for path in sorted(LAB_CODE.glob("*.py")):
        tree = ast.parse(path.read_text())
        constants = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                value = node.value.values[-1] if isinstance(node.value, ast.BoolOp) else node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    constants[node.targets[0].id] = value.value

        def text(node):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                return node.value
            if isinstance(node, ast.Name):
                return constants.get(node.id)
            return None

        # A list starting with a program's absolute path (a module constant such as DNSMASQ = "/usr/sbin/dnsmasq"),
        # wherever it is built: a command run through `ip netns exec NS *command` (console/lab/services.py).
        for node in ast.walk(tree):
            if isinstance(node, ast.List) and node.elts and isinstance(node.elts[0], ast.Name):
                found = text(node.elts[0])
                if found and found.startswith("/"):
                    programs.append(Program(found, f"{path.relative_to(ROOT)}:{node.lineno}"))

        # `command = [PROGRAM, ...]` then `subprocess.run(command)`: the list's first item, by variable name.
        lists = {node.targets[0].id: node.value.elts[0] for node in ast.walk(tree)
                 if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                 and isinstance(node.value, ast.List) and node.value.elts}

        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            first = node.args[0]
            found = None
            if name == "run" and isinstance(func, ast.Name):
                found = text(first)
            elif name in ("run", "Popen") and isinstance(first, ast.List) and first.elts:
                found = text(first.elts[0])
            elif name in ("run", "Popen") and isinstance(first, ast.Name) and first.id in lists:
                found = text(lists[first.id])
            elif name == "exec" and isinstance(func, ast.Attribute) and len(node.args) > 1:
                found = text(node.args[1])  # InlinePath.exec(namespace, program, ...): console/lab/inline.py
            elif name == "_binary":
                found = text(first)
                found = found and next((str(d / found) for d in lab_ups.NUT_DIRS if (d / found).exists()), found)
            if found:
                programs.append(Program(found, f"{path.relative_to(ROOT)}:{node.lineno}"))
    return programs


def all_programs() -> list[Program]:
    return role_programs() + lab_programs() + [Program(name, where) for name, where in AGENT_PROGRAMS.items()]


def module_files() -> list[Program]:
    """DEBIAN_MODULES as the files Debian's python3 imports them from (isolated: no user site, no PYTHON*)."""
    script = ("import importlib.util, sys\n"
              "for name in sys.argv[1:]:\n"
              "    spec = importlib.util.find_spec(name)\n"
              "    print(name, spec.origin if spec and spec.origin else '-')\n")
    done = subprocess.run([DEBIAN_PYTHON, "-I", "-c", script, *DEBIAN_MODULES], capture_output=True, text=True,
                          timeout=60, check=True)
    files = []
    for line in done.stdout.splitlines():
        name, origin = line.split(" ", 1)
        where = f"python module {name}: {DEBIAN_MODULES[name]}"
        files.append(Program(origin if origin != "-" else f"/nonexistent/python3-module-{name}", where))
    return files


# --- programs to packages ----------------------------------------------------------------------------

def candidates(name: str) -> list[str]:
    path = name if name.startswith("/") else shutil.which(name, path=SEARCH_PATH)
    if not path:
        return []
    paths = [path, os.path.realpath(path)]
    for item in list(paths):  # Debian 12 merges /bin into /usr/bin; dpkg knows each file by one of the two
        if item.startswith("/usr/"):
            paths.append(item[4:])
        elif item.startswith(("/bin/", "/sbin/", "/lib/")):
            paths.append("/usr" + item)
    return list(dict.fromkeys(paths))


@lru_cache(maxsize=None)
def package_of(name: str) -> str | None:
    for path in candidates(name):
        done = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True, timeout=60)
        for line in done.stdout.splitlines():
            owners, _, owned = line.partition(": ")
            if owned.strip() == path and not line.startswith("diversion "):
                return owners.split(",")[0].strip().split(":")[0]
    return None


@lru_cache(maxsize=1)
def installed() -> dict[str, dict]:
    fields = "${Package}\t${Status}\t${Essential}\t${Priority}\t${Depends}\t${Pre-Depends}\t${Provides}\n"
    done = subprocess.run(["dpkg-query", "-W", "-f", fields], capture_output=True, text=True, timeout=60, check=True)
    packages = {}
    for line in done.stdout.splitlines():
        package, status, essential, priority, depends, pre_depends, provides = (line.split("\t") + [""] * 7)[:7]
        if status.endswith(" installed"):
            # Essential, or Priority required: on every Debian system (debootstrap's minbase installs them).
            packages[package] = {"essential": essential == "yes" or priority == "required",
                                 "depends": f"{depends}, {pre_depends}",
                                 "provides": [p.split()[0] for p in provides.split(",") if p.strip()]}
    return packages


def closure(roots: set[str]) -> set[str]:
    """The installed packages `roots` pull in (Depends and Pre-Depends, any installed alternative, virtual names)."""
    packages = installed()
    providers: dict[str, set[str]] = {}
    for package, info in packages.items():
        for name in [package, *info["provides"]]:
            providers.setdefault(name, set()).add(package)
    result, queue = set(), [root for root in roots if root in providers]
    queue = [p for root in queue for p in providers[root]]
    while queue:
        package = queue.pop()
        if package in result:
            continue
        result.add(package)
        for group in packages[package]["depends"].split(","):
            for alternative in group.split("|"):
                name = alternative.strip().split(" ")[0].split(":")[0]
                queue += providers.get(name, ())
    return result


def missing_from_base(script_text: str, programs: list[Program]) -> list[str]:
    base = base_packages(script_text)
    pulled = closure(base)
    problems = []
    for program in programs:
        package = package_of(program.name)
        if package is None:
            problems.append(f"{program.name} ({program.where}): not installed here, no package brings it; add its "
                            "package to the base list of scripts/install-debian-packages.sh")
        elif package not in base and package not in pulled and not installed().get(package, {}).get("essential"):
            problems.append(f"{program.name} ({program.where}): from package {package}, which is not in the base "
                            "list of scripts/install-debian-packages.sh nor pulled in by one of its packages")
    return sorted(set(problems))


# --- the tests ---------------------------------------------------------------------------------------

def test_the_lab_conditions_left_out_are_false_on_every_lab_host():
    variables = lab_host_vars()
    for pattern, (name, value) in LAB_NEVER.items():
        assert variables.get(name) == value, f"{pattern}: the lab sets {name}={variables.get(name)!r}, not {value!r}"


def test_the_reading_finds_what_the_demo_is_known_to_run():
    names = {os.path.basename(p.name) for p in all_programs()}
    assert {"chronyd", "nft", "suricata", "suricatasc", "sshd", "start-stop-daemon", "auditd", "auditctl", "ip",
            "ssh-keygen", "ethtool", "dummy-ups", "upsd", "lynis", "chronyc", "dnsmasq", "snmpd", "snmpget"} <= names
    # systemd-only, KESL-only and signature-only tasks are not the lab's
    assert not {"augenrules", "kesl-control", "clamd", "clamonacc", "visudo"} & names


def test_every_program_the_demo_runs_comes_from_a_base_package():
    problems = missing_from_base(SCRIPT.read_text(), all_programs())
    assert not problems, "\n".join(problems)


def test_every_python_module_the_demo_runs_comes_from_a_base_package():
    problems = missing_from_base(SCRIPT.read_text(), module_files())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("left_out, module", [("python3-venv", "ensurepip"), ("python3-pip", "pip")])
def test_a_base_list_without_a_needed_python_module_is_caught(left_out, module):
    # On a fresh Debian 12 `python3 -m venv` fails without python3-venv although python3 is there.
    text = SCRIPT.read_text()
    assert left_out in script_lists(text)["base"]
    cut = re.sub(rf"(?<=[\s(]){re.escape(left_out)}(?=[\s)])", "", text, count=1)
    problems = missing_from_base(cut, module_files())
    assert any(problem.startswith("/") and f"python module {module}:" in problem for problem in problems), problems


@pytest.mark.parametrize("left_out, program", [("chrony", "chronyd"), ("nftables", "nft"), ("ethtool", "ethtool"),
                                                     ("dnsmasq-base", "dnsmasq")])
def test_a_base_list_without_a_needed_package_is_caught(left_out, program):
    # What main's list did: chrony and nftables only in the test list (issue 28).
    text = SCRIPT.read_text()
    lists = script_lists(text)
    assert left_out in lists["base"] + lists["base_quiet"]
    cut = re.sub(rf"(?<=[\s(]){re.escape(left_out)}(?=[\s)])", "", text, count=1)
    problems = missing_from_base(cut, all_programs())
    assert any(problem.startswith(program) or f"/{program} (" in problem for problem in problems), problems
