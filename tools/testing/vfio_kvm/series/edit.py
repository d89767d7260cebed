#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The edits of the series to files a kernel tree already has: Kconfig,
Makefile lines put where a maintainer would put them, not appended.  The
suites need no MAINTAINERS entry of their own: VFIO DRIVER's
F: drivers/vfio/ covers drivers/vfio/tests/.  Usage: edit.py TREE vfio-tests|tests-makefile NAME EMAIL."""

import os
import re
import sys

def read(tree, path):
    with open(f'{tree}/{path}') as f:
        return f.read()


def write(tree, path, text):
    with open(f'{tree}/{path}', 'w') as f:
        f.write(text)


def replace_once(text, old, new, path):
    if text.count(old) != 1:
        sys.exit(f'edit.py: {path}: expected one {old!r}')
    return text.replace(old, new)


REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '../../../..'))


def project_sources():
    """The "source" lines of the project's top-level Kconfig: the files it
    proposes upstream."""
    return [l for l in read(REPO, 'Kconfig').split('\n')
            if re.match(r'^source "[^"]+"$', l)]


def kconfig_source(tree, line):
    """@line in the Kconfig of the directory above its file's, after that
    Kconfig's last "source" of a directory beside it."""
    file = re.match(r'^source "([^"]+)"$', line).group(1)
    parent = os.path.dirname(os.path.dirname(file))
    path = f'{parent}/Kconfig'
    lines = read(tree, path).split('\n')
    if line in lines:
        sys.exit(f'edit.py: {path} already has {line!r}')
    beside = [i for i, l in enumerate(lines)
              if l.startswith(f'source "{parent}/')]
    if not beside:
        sys.exit(f'edit.py: {path} sources nothing of {parent}/')
    lines.insert(beside[-1] + 1, line)
    write(tree, path, '\n'.join(lines))


def tests_makefile(tree):
    """drivers/vfio/tests/Makefile of a patch that adds part of the suites:
    the object lines whose sources are in the tree by then, each with the
    comment above it; the first one assigns (:=), the rest add (+=)."""
    path = 'drivers/vfio/tests/Makefile'
    out, comment, first = [], [], True
    for line in read(tree, path).split('\n'):
        m = re.match(r'^(vfio_kvm_kunit-y) (:=|\+=) (.*)$', line)
        if line.startswith('#') and out:
            comment.append(line)
            continue
        if m:
            objs = m.group(3).split()
            if not all(os.path.exists(f'{tree}/drivers/vfio/tests/{o[:-2]}.c')
                       for o in objs):
                comment = []
                continue
            line = f'{m.group(1)} {":=" if first else "+="} {m.group(3)}'
            first = False
        out += comment + [line]
        comment = []
    write(tree, path, '\n'.join(out))


def main():
    tree, step, name, email = sys.argv[1:5]
    if step == 'vfio-tests':
        for line in project_sources():
            kconfig_source(tree, line)
        path = 'drivers/vfio/Makefile'
        text = read(tree, path)
        write(tree, path, text.rstrip('\n') +
              '\nobj-$(CONFIG_VFIO_KVM_KUNIT_TEST) += tests/\n')
    elif step == 'tests-makefile':
        tests_makefile(tree)
    else:
        sys.exit(f'edit.py: unknown step {step}')


if __name__ == '__main__':
    main()
