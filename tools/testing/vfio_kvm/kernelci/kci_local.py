#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""KernelCI's own code on the suites' job, for make kernelci (kernelci.sh).

Run from a copy of kernelci-pipeline (its config/ and src/), with
kernelci-core's package on PYTHONPATH, by Debian 12's python3:

  kci_local.py validate            sort check and strict load of config/
  kci_local.py rules               the job's rules on sample checkouts
  kci_local.py run OUT URL TARBALL TREE BRANCH VERSION
                                   schedule, render and run the job for a
                                   checkout node made on the API stand-in
  kci_local.py report OUT...       the nodes each run left, as KernelCI
                                   stores them and as KCIDB gets them

What stands in for what (the rest is KernelCI's code, unchanged):
 - pydantic 2 (kernelci.config.job's strict models) is not in Debian 12:
   use_pydantic1() maps the part kernelci-core uses onto Debian's
   pydantic 1.10 (extra="forbid" and frozen kept; strict type checks not);
 - the API and storage: kci_standin.py on 127.0.0.1;
 - the Kubernetes cluster: the Kubernetes runtime's submit() is replaced by
   running the rendered Job's container command (python3 -c SCRIPT) here;
   in that script only the volume path /tmp/kci (WORKSPACE) and the pod's
   DNS probe of www.google.com are changed (kci_pod.py);
 - kcidb and logspec (libraries of KernelCI's, not in Debian): empty
   modules, for importing send_kcidb.py, whose path and status mapping
   are then run unchanged.
"""

import json
import logging
import os
import subprocess
import sys
import types

JOB = "kunit-vfio-kvm-x86_64"
RUNTIME = "k8s-gke-eu-west4"
HERE = os.path.dirname(os.path.abspath(__file__))


def use_pydantic1():
    """kernelci.config.job's pydantic 2 API on Debian 12's pydantic 1.10"""
    import pydantic
    if pydantic.VERSION.startswith("2"):
        return "pydantic " + pydantic.VERSION
    base = pydantic.BaseModel

    class Meta(type(base)):
        def __new__(mcs, name, bases, namespace, **kwargs):
            cfg = namespace.pop("model_config", None)
            if cfg is not None:
                namespace["Config"] = type("Config", (), {
                    "extra": pydantic.Extra(cfg.get("extra", "ignore")),
                    "allow_mutation": not cfg.get("frozen", False),
                    "smart_union": True,
                })
            return super().__new__(mcs, name, bases, namespace, **kwargs)

    class BaseModel(base, metaclass=Meta):
        @classmethod
        def model_validate(cls, obj):
            return cls.parse_obj(obj)

        def model_dump(self):
            return self.dict()

    pydantic.BaseModel = BaseModel
    pydantic.ConfigDict = dict
    return (f"Debian's pydantic {pydantic.VERSION} with kernelci-core's "
            "pydantic 2 calls mapped onto it (no strict type checks)")


def load_configs():
    import kernelci.config
    paths = ["config"]
    extra = os.environ.get("KCI_LOCAL_CONFIG")
    if extra and os.path.getsize(extra):
        paths.append(extra)
    configs = kernelci.config.load(paths)
    configs["_raw_yaml"] = kernelci.config.load_yaml(paths)
    return configs


def cmd_validate():
    import kernelci
    import kernelci.config
    # kci config validate's check (kernelci.sort_check): config/ as it is
    # fails it already (it reports the first disorder of each file); the
    # job must be in order among its neighbours
    found = kernelci.config.validate_yaml(["config"],
                                          ["jobs", "runtimes", "scheduler"])
    print(f"kci config validate (kernelci.sort_check) on config/: "
          f"{found or 'ok'}")
    import yaml
    with open("config/jobs.yaml", encoding="utf-8") as src:
        keys = list(yaml.safe_load(src)["jobs"])
    i = keys.index(JOB)
    err = kernelci.sort_check(keys[max(0, i - 1):i + 2])
    print(f"  {JOB} among its neighbours {keys[i - 1]}, {keys[i + 1]}: "
          f"{'out of order: ' + str(err) if err else 'in order'}")
    how = use_pydantic1()
    configs = load_configs()
    job = configs["jobs"][JOB]
    print(f"kernelci-core strict loader (kernelci.config.load, {how}): "
          f"{len(configs['jobs'])} jobs, {len(configs['scheduler'])} "
          "scheduler entries")
    print(f"  {JOB}: template {job.template}, kind {job.kind}, image "
          f"{job.image}, priority {job.priority}, kcidb_test_suite "
          f"{job.kcidb_test_suite}")
    print(f"  params {json.dumps(job.params)}")
    print(f"  rules {json.dumps(job.rules)}")
    entries = [e for e in configs["scheduler"] if e.job == JOB]
    for entry in entries:
        print(f"  scheduler: event {json.dumps(entry.event)}, runtime "
              f"{json.dumps(entry.runtime)}")
    return 0 if not err and entries else 1


SAMPLES = [
    ("mainline", "master", (7, 5, 0, "-rc1"), "merge window of the suites"),
    ("next", "master", (7, 5, 0, "-rc3"), ""),
    ("next", "pending-fixes", (7, 6, 0, "-rc1"), ""),
    ("mainline", "master", (7, 4, 0, "-rc7"), "before the suites"),
    ("next", "master", (7, 4, 0, "-rc5"), "the suites queued for 7.5"),
    ("stable-rc", "linux-7.3.y", (7, 3, 5, "-rc1"), ""),
    ("stable", "linux-7.5.y", (7, 5, 2, ""), ""),
    ("kselftest", "next", (7, 6, 0, "-rc2"), ""),
]


def checkout_node(tree, branch, version, node_id=None, url=None):
    major, minor, sub, extra = version
    node = {
        "kind": "checkout",
        "name": "checkout",
        "path": ["checkout"],
        "state": "available",
        "data": {
            "kernel_revision": {
                "tree": tree,
                "branch": branch,
                "url": url or f"https://git.example/{tree}.git",
                "commit": "0" * 40,
                "describe": f"v{major}.{minor}{'.%d' % sub if sub else ''}"
                            f"{extra}",
                "version": {"version": major, "patchlevel": minor,
                            "sublevel": sub, "extra": extra or None},
            },
        },
    }
    if node_id:
        node["id"] = node_id
    return node


def cmd_rules():
    """Which checkouts get the job: the scheduler's and the job's rules"""
    import kernelci.api.helper
    import kernelci.scheduler
    use_pydantic1()
    configs = load_configs()
    runtime = types.SimpleNamespace(
        config=configs["runtimes"][RUNTIME])
    sched = kernelci.scheduler.Scheduler(configs, {RUNTIME: runtime})
    helper = kernelci.api.helper.APIHelper(None)
    job_config = configs["jobs"][JOB]
    for tree, branch, version, note in SAMPLES:
        node = checkout_node(tree, branch, version, "checkout-id")
        event = {"id": "checkout-id", "kind": "checkout", "name": "checkout",
                 "state": "available"}
        scheduled = [(job, rules) for job, _, _, rules
                     in sched.get_schedule(event) if job.name == JOB]
        job_node = {"kind": job_config.kind, "name": JOB,
                    "path": ["checkout", JOB], "parent": None,
                    "data": {"kernel_revision":
                             node["data"]["kernel_revision"]}}
        ok = bool(scheduled) and all(
            helper.should_create_node(rules, node) for _, rules in scheduled)
        ok = ok and helper.should_create_node(job_config.rules, job_node)
        major, minor, sub, extra = version
        print(f"    {tree}:{branch} {major}.{minor}.{sub}{extra}: "
              f"{'runs' if ok else 'no job'}{'  (' + note + ')' if note else ''}")
    return 0


class PodRuntime:
    """The Kubernetes runtime's submit(), run here instead of in a cluster"""

    def __init__(self, runtime, out):
        self.runtime, self.out = runtime, out
        self.script = None

    def submit(self, job_path):
        import yaml
        with open(job_path, encoding="utf-8") as src:
            manifest = yaml.safe_load(src)
        container = manifest["spec"]["template"]["spec"]["containers"][0]
        script = os.path.join(self.out, "job.py")
        with open(script, "w", encoding="utf-8") as dst:
            dst.write(container["args"][0])
        with open(os.path.join(self.out, "k8s-job.yaml"), "w",
                  encoding="utf-8") as dst, open(job_path,
                                                 encoding="utf-8") as src:
            dst.write(src.read())
        print(f"k8s Job {manifest['metadata']['name']}: image "
              f"{container['image']}, command {container['command']} "
              f"(the script: {script})", flush=True)
        self.script = script
        labels = {"job-name": manifest["metadata"]["name"]}
        return [[types.SimpleNamespace(
            metadata=types.SimpleNamespace(labels=labels))]]

    def run_pod(self):
        """The pod, once the scheduler is done with the job node"""
        log = os.path.join(self.out, "pod.log")
        with open(log, "w", encoding="utf-8") as pod_log:
            status = subprocess.call(
                [sys.executable, os.path.join(HERE, "kci_pod.py"),
                 self.script, os.path.join(self.out, "workspace")],
                stdout=pod_log, stderr=subprocess.STDOUT)
        print(f"the pod's script exited {status} (log: {log})", flush=True)

    def __getattr__(self, name):
        return getattr(self.runtime, name)


def cmd_run(out, api_url, tarball_url, tree, branch, version):
    """The scheduler's path for one checkout event, on the stand-in"""
    import kernelci.api
    import kernelci.api.helper
    import kernelci.runtime
    import kernelci.scheduler
    how = use_pydantic1()
    sys.path.insert(0, os.path.abspath("src"))
    import scheduler as pipeline_scheduler
    configs = load_configs()
    os.makedirs(out, exist_ok=True)
    major, minor, sub = (int(x) for x in version.split("."))
    api = kernelci.api.get_api(configs["api"]["standin"], "standin-token")
    trees = configs.get("trees", {})
    checkout = checkout_node(tree, branch, (major, minor, sub, ""),
                             url=trees[tree].url if tree in trees else None)
    checkout["artifacts"] = {"tarball": tarball_url}
    checkout = api.node.add(checkout)
    print(f"checkout node {checkout['id']}: {tree}:{branch} {version}, "
          f"tarball {tarball_url}", flush=True)
    runtime = kernelci.runtime.get_runtime(
        configs["runtimes"][RUNTIME],
        custom_template_dir=os.environ["KCI_CORE_TEMPLATES"])
    sched = kernelci.scheduler.Scheduler(configs, {RUNTIME: runtime})
    event = {"id": checkout["id"], "kind": "checkout", "name": "checkout",
             "state": "available", "op": "created"}
    matched = list(sched.get_schedule(event))
    print("the checkout event schedules on this runtime: "
          + ", ".join(job.name for job, _, _, _ in matched), flush=True)
    # the pipeline's Scheduler._run_job(), on a Scheduler made without its
    # service setup (pub/sub, KContext, telemetry)
    sch = pipeline_scheduler.Scheduler.__new__(pipeline_scheduler.Scheduler)
    sch._api = api
    sch._api_helper = kernelci.api.helper.APIHelper(api)
    sch._imgprefix = ""
    sch._storage_config = configs["storage_configs"]["standin"]
    sch._raw_yaml = configs["_raw_yaml"]
    sch._build_configs = configs["build_configs"]
    sch._output = os.path.join(out, "scheduler")
    sch._backup_file_lifetime = 0
    sch._job_tmp_dirs = {}
    sch._telemetry = types.SimpleNamespace(emit=lambda *a, **k: None)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="scheduler: %(message)s")
    sch._logger = logging.getLogger("scheduler")
    type(sch).log = property(lambda self: self._logger)
    os.makedirs(sch._output, exist_ok=True)
    ran = False
    for job, rt, platform, rules in matched:
        if job.name != JOB:
            continue
        input_node = api.node.get(event["id"])
        if not sch._api_helper.should_create_node(rules, input_node):
            continue
        if os.environ.get("KCI_LOCAL_MIN_VERSION"):
            # the local tree's version in place of the job's min_version
            # (the job is for the release that merges the suites)
            ver, patch = os.environ["KCI_LOCAL_MIN_VERSION"].split(".")
            rules = dict(job.rules)
            allowed = sch._api_helper.should_create_node(
                rules, {"data": input_node["data"]})
            print(f"the job's rules on this {version} checkout: "
                  f"{'allowed' if allowed else 'rejected'}; the local run "
                  f"uses min_version {ver}.{patch} instead of "
                  f"{job.rules.get('min_version')}", flush=True)
            rules["min_version"] = {"version": int(ver),
                                    "patchlevel": int(patch)}
            job._rules = rules
        pod = PodRuntime(rt, out)
        sch._run_job(job, pod, platform, input_node, 0)
        if pod.script:
            pod.run_pod()
            ran = True
    print(f"pydantic: {how}")
    return 0 if ran else 1


def kcidb_bridge(configs):
    """send_kcidb.py's KCIDBBridge, for its path and status mapping only"""
    for name in ("kcidb", "logspec", "logspec.main"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.path.insert(0, os.path.abspath("src"))
    import send_kcidb
    bridge = send_kcidb.KCIDBBridge.__new__(send_kcidb.KCIDBBridge)
    bridge._jobs = configs["jobs"]
    bridge._logger = logging.getLogger("send_kcidb")
    type(bridge).log = property(lambda self: self._logger)
    return bridge


def like(pattern, text):
    """SQL LIKE, as the dashboard's notification query matches t.path"""
    import re
    rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c)
                 for c in pattern)
    return re.fullmatch(rx, text) is not None


def cmd_report(outs):
    import yaml
    use_pydantic1()
    configs = load_configs()
    bridge = kcidb_bridge(configs)
    subs = {}
    sub_dir = os.environ.get("KCI_DASHBOARD_SUBSCRIPTIONS")
    if sub_dir:
        for tree in ("mainline", "next"):
            with open(os.path.join(sub_dir, tree + ".yaml"),
                      encoding="utf-8") as src:
                data = yaml.safe_load(src)[tree]
            subs[tree] = [r for r in data["reports"] if "path" in r]
    failed = False
    for out in outs:
        with open(os.path.join(out, "state", "nodes.json"),
                  encoding="utf-8") as src:
            nodes = json.load(src)
        print(f"== {os.path.basename(out)}")
        jobs = [n for n in nodes if n["name"] == JOB]
        if not jobs:
            print("   no job node")
            continue
        job = jobs[0]
        data = job.get("data", {})
        print(f"   job node {job['id']} {JOB}: state {job['state']}, result "
              f"{job['result']}, error {data.get('error_code')} "
              f"{data.get('error_msg') or ''}".rstrip())
        arts = ", ".join(sorted(job.get("artifacts") or {}))
        print(f"   artifacts: {arts or 'none'}")
        children = {}
        for node in nodes:
            children.setdefault(node.get("parent"), []).append(node)
        tests = []

        def walk(node, depth):
            kids = children.get(node["id"], [])
            if depth <= 2:
                print(f"   {'  ' * depth}{node['name']} ({node['kind']}): "
                      f"{node['result']}, {len(kids)} children")
            for kid in kids:
                if children.get(kid["id"]):
                    walk(kid, depth + 1)
                elif kid["kind"] == "test" and depth >= 1:
                    tests.append(kid)
                else:
                    walk(kid, depth + 1)
        walk(job, 0)
        if not children.get(job["id"]):
            try:
                with open(os.path.join(out, "pod.log"), encoding="utf-8",
                          errors="replace") as src:
                    errors = [line.strip() for line in src
                              if "Error" in line and ":" in line]
            except OSError:
                errors = []
            print("   nothing submitted: the job's script stopped at "
                  f"{errors[-1] if errors else '(no error in pod.log)'}; "
                  "KernelCI's timeout service would end the node "
                  "incomplete (node_timeout) when it times out")
        counts = {}
        for test in tests:
            counts[test["result"]] = counts.get(test["result"], 0) + 1
        name = os.path.basename(out)
        if name.startswith("series"):
            want = "every case pass"
            met = bool(tests) and counts == {"pass": len(tests)}
        elif name == "crash":
            want = "the job done, the crash a failed case"
            met = job["state"] == "done" and counts.get("fail", 0) > 0
        else:
            want = met = None
        if want:
            print(f"   expected: {want}: {'yes' if met else 'NO'}")
            failed = failed or not met
        print(f"   test cases: {len(tests)} "
              f"({', '.join(f'{v} {k}' for k, v in sorted(counts.items(), key=str))})")
        shown = [t for t in tests if t["result"] != "pass"][:6]
        shown += [t for t in tests if t["result"] == "pass"][:max(0, 3 - len(shown))]
        for test in shown:
            path = bridge._parse_node_path(test["path"], True)
            status = bridge._parse_node_result(test)
            extra = test.get("data", {}).get("error_msg")
            print(f"     {path}: node {test['result']}, KCIDB {status}"
                  + (f" ({extra})" if extra else ""))
        for node in nodes:
            if (node["kind"] == "job" and node["result"] == "fail"
                    and children.get(node["id"])):
                path = bridge._parse_node_path(node["path"], True)
                print(f"     {path}: group fail, KCIDB "
                      f"{bridge._parse_node_result(node)}")
        for tree, reports in subs.items():
            for rep in reports:
                hits = sum(1 for t in tests if any(
                    like(p, bridge._parse_node_path(t["path"], True) or "")
                    for p in rep["path"]))
                print(f"   dashboard {tree} report {rep['path']} -> "
                      f"{', '.join(rep['recipients'])}: matches {hits} of "
                      f"{len(tests)} test paths")
            break
    return 1 if failed else 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "validate":
        return cmd_validate()
    if cmd == "rules":
        return cmd_rules()
    if cmd == "run":
        return cmd_run(*args)
    if cmd == "report":
        return cmd_report(args)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
