#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The edits of the series to files a kernel tree already has: Kconfig,
Makefile and MAINTAINERS lines put where a maintainer would put them, not
appended.  Usage: edit.py TREE STEP NAME EMAIL, STEP one of kunit-thread,
kunit-reports, vfio-tests."""

import re
import sys

KUNIT_SECTION = 'KUNIT THREAD AND REPORT HELPERS'
VFIO_SECTION = 'VFIO KVM KUNIT TESTS'


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


def section_headers(lines):
    """Index of each MAINTAINERS section title (the line before "X:\t")."""
    return [i for i in range(1, len(lines) - 1)
            if re.match(r'^[A-Z]:\t', lines[i + 1]) and lines[i].strip()
            and not re.match(r'^[A-Z]:\t', lines[i])]


def maintainers_section(tree, title, entries):
    """Add or extend section @title; entries: (tag, value), sorted as
    MAINTAINERS sorts them (tag order of the file, then value)."""
    text = read(tree, 'MAINTAINERS')
    lines = text.split('\n')
    heads = section_headers(lines)
    order = 'MRLSWQBCPTFXNK'
    if title in [lines[i] for i in heads]:
        start = lines.index(title)
        end = start + 1
        while end < len(lines) and lines[end].strip():
            end += 1
        old = [tuple(l.split(':\t', 1)) for l in lines[start + 1:end]]
        del lines[start:end + 1]
        entries = old + [e for e in entries if e not in old]
    heads = section_headers(lines)
    at = next((i for i in heads if lines[i] > title),
              len(lines))
    body = [title] + [f'{t}:\t{v}' for t, v in
                      sorted(entries, key=lambda e: (order.index(e[0]), e[1]))]
    lines[at:at] = body + ['']
    write(tree, 'MAINTAINERS', '\n'.join(lines))


def kunit_api_doc(tree, page, what):
    """List Documentation/dev-tools/kunit/api/@page.rst in the API index,
    among the core API."""
    path = 'Documentation/dev-tools/kunit/api/index.rst'
    text = replace_once(read(tree, path), '\tfunctionredirection\n',
                        f'\tfunctionredirection\n\t{page}\n', path)
    anchor = ' - Documents the KUnit Function Redirection API\n'
    text = replace_once(text, anchor, anchor +
                        f'\nDocumentation/dev-tools/kunit/api/{page}.rst\n\n'
                        f' - Documents {what}\n', path)
    write(tree, path, text)


def main():
    tree, step, name, email = sys.argv[1:5]
    me = ('M', f'{name} <{email}>')
    kunit_lists = [('L', 'linux-kselftest@vger.kernel.org'),
                   ('L', 'kunit-dev@googlegroups.com'), ('S', 'Maintained')]
    if step == 'kunit-thread':
        path = 'lib/kunit/Makefile'
        write(tree, path, replace_once(
            read(tree, path), '\t\t\t\t\tbug.o\n',
            '\t\t\t\t\tbug.o \\\n\t\t\t\t\tthread.o\n', path))
        kunit_api_doc(tree, 'thread', 'threads a case waits for with a deadline')
        maintainers_section(tree, KUNIT_SECTION, [me] + kunit_lists + [
            ('F', 'Documentation/dev-tools/kunit/api/thread.rst'),
            ('F', 'include/kunit/thread.h'), ('F', 'lib/kunit/thread.c')])
    elif step == 'kunit-reports':
        path = 'lib/kunit/Makefile'
        text = replace_once(read(tree, path), '\t\t\t\t\tthread.o\n',
                            '\t\t\t\t\tthread.o \\\n\t\t\t\t\treports.o\n',
                            path)
        text = replace_once(
            text, 'obj-$(CONFIG_KUNIT_EXAMPLE_TEST) +=',
            'obj-$(CONFIG_KUNIT_REPORTS_TEST) +=\tkunit-reports-test.o\n\n'
            'obj-$(CONFIG_KUNIT_EXAMPLE_TEST) +=', path)
        write(tree, path, text)
        path = 'lib/kunit/Kconfig'
        with open(sys.argv[5]) as f:
            config = ''.join(l for l in f if not l.startswith('# SPDX'))
        write(tree, path, replace_once(read(tree, path), '\nendif # KUNIT',
                                       '\n' + config + '\nendif # KUNIT',
                                       path))
        kunit_api_doc(tree, 'reports', 'kernel reports captured in a case')
        maintainers_section(tree, KUNIT_SECTION, [
            ('F', 'Documentation/dev-tools/kunit/api/reports.rst'),
            ('F', 'include/kunit/reports.h'), ('F', 'lib/kunit/reports.c'),
            ('F', 'lib/kunit/kunit-reports-test.c')])
    elif step == 'vfio-tests':
        path = 'drivers/vfio/Kconfig'
        write(tree, path, replace_once(
            read(tree, path), 'source "drivers/vfio/cdx/Kconfig"\n',
            'source "drivers/vfio/cdx/Kconfig"\n'
            'source "drivers/vfio/tests/Kconfig"\n', path))
        path = 'drivers/vfio/Makefile'
        text = read(tree, path)
        write(tree, path, text.rstrip('\n') +
              '\nobj-$(CONFIG_VFIO_KVM_KUNIT_TEST) += tests/\n')
        maintainers_section(tree, VFIO_SECTION, [
            me, ('L', 'kvm@vger.kernel.org'), ('S', 'Maintained'),
            ('F', 'drivers/vfio/tests/')])
    else:
        sys.exit(f'edit.py: unknown step {step}')


if __name__ == '__main__':
    main()
