#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The cost of each run of the KernelCI job (make kernelci).

  kci_cost.py RUN_DIR...

From a run directory of kernelci.sh: the three kunit.py steps' own
"Elapsed time" lines in the job's log (job.txt, as the job uploaded it to
the storage stand-in), the objects in the job's build directory (.kunit),
ccache's count of the compilations it did not have (ccache.txt: a run
with an empty CCACHE_DIR compiles every one of them cold), and the exec
step's time against kunit.py's default timeout (300 s).
"""

import glob
import os
import re
import sys

TIMEOUT = 300


def job_log(run):
    logs = glob.glob(os.path.join(run, "state", "storage", "*", "job_txt"))
    if not logs:
        return ""
    with open(logs[0], encoding="utf-8", errors="replace") as src:
        return src.read()


def ccache_misses(run):
    try:
        with open(os.path.join(run, "ccache.txt"), encoding="utf-8") as src:
            text = src.read()
    except OSError:
        return None
    hits = re.search(r"Hits:\s+(\d+)", text)
    misses = re.search(r"Misses:\s+(\d+)", text)
    if not misses:
        return None
    return int(hits.group(1)) if hits else 0, int(misses.group(1))


def main():
    for run in sys.argv[1:]:
        name = os.path.basename(run)
        log = job_log(run)
        times = [float(t) for t in re.findall(r"Elapsed time: ([0-9.]+)s", log)]
        steps = dict(zip(("config", "build", "exec"), times))
        trees = glob.glob(os.path.join(run, "workspace", "*", ".kunit"))
        objects = sum(1 for tree in trees for _, _, files in os.walk(tree)
                      for f in files if f.endswith(".o"))
        try:
            with open(os.path.join(run, "seconds"), encoding="utf-8") as src:
                total = int(src.read())
        except (OSError, ValueError):
            total = None
        cc = ccache_misses(run)
        print(f"   {name}: " + ", ".join(
            f"{step} {sec:.0f} s" for step, sec in steps.items())
            + (f"; the whole run {total} s ({total / 60:.1f} min, with the "
               "source tarball's download and unpacking)" if total else ""))
        print(f"     {objects} objects in the build directory"
              + (f"; ccache: {cc[1]} compiled, {cc[0]} from the cache"
                 if cc else ""))
        if "exec" in steps:
            exec_s = steps["exec"]
            print(f"     exec {exec_s:.0f} s of kunit.py's default {TIMEOUT} s"
                  f" ({100 * exec_s / TIMEOUT:.0f}%)"
                  + (": the guest ran into the timeout"
                     if exec_s >= TIMEOUT else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
