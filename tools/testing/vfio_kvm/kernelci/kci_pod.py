#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Run the script of a rendered KernelCI Kubernetes Job here, as its pod would.

  kci_pod.py SCRIPT WORKSPACE

The pod runs "python3 -c SCRIPT" with KCI_API_TOKEN and
KCI_STORAGE_CREDENTIALS from its secrets and an empty volume at /tmp/kci.
Two things of the pod are stood in for, and nothing else of the script is
changed:
 - the volume: the script's WORKSPACE = '/tmp/kci' becomes WORKSPACE (a
   directory of the work tree, emptied first);
 - the pod's DNS probe (base/python.jinja2's main() resolves
   www.google.com before it starts): answered 127.0.0.1 here, where no
   name is resolved outside this machine.
"""

import os
import shutil
import socket
import sys


def main():
    script_path, workspace = sys.argv[1:3]
    with open(script_path, encoding="utf-8") as src:
        script = src.read()
    volume = "WORKSPACE = '/tmp/kci'\n"
    if script.count(volume) != 1:
        sys.exit(f"kci_pod.py: {script_path} has no single {volume!r}")
    script = script.replace(volume, f"WORKSPACE = {workspace!r}\n")
    shutil.rmtree(workspace, ignore_errors=True)
    os.makedirs(workspace)
    real = socket.gethostbyname

    def gethostbyname(name):
        return "127.0.0.1" if name == "www.google.com" else real(name)

    socket.gethostbyname = gethostbyname
    os.environ.setdefault("KCI_API_TOKEN", "standin-token")
    os.environ.setdefault("KCI_STORAGE_CREDENTIALS", "Bearer standin")
    sys.argv = ["-c"]
    code = compile(script, "<k8s Job script>", "exec")
    exec(code, {"__name__": "__main__", "__builtins__": __builtins__})


if __name__ == "__main__":
    main()
