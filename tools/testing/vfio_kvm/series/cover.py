#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fill the cover letter git format-patch wrote: subject and text from
cover-letter.txt, and, once the checks ran, what was checked, any check
that failed, and every CHECK checkpatch --strict left, which a reviewer
would otherwise ask about (the whole report stays in report.txt).

Usage: cover.py COVER TEXT KERNEL [REPORT CHECKPATCH-LOG...]"""

import re
import sys
import textwrap


def reflow(text):
    """Paragraphs of prose to 72 columns; indented blocks as they are."""
    out = []
    for para in text.strip('\n').split('\n\n'):
        lines = para.split('\n')
        if any(l[:1].isspace() or re.match(r'^(\[\d+\]|  \d)', l)
               for l in lines):
            out.append(para)
        else:
            out.append(textwrap.fill(' '.join(lines), 72,
                                     break_on_hyphens=False))
    return '\n\n'.join(out) + '\n'


def checks(logs):
    """The CHECK lines of checkpatch's logs, with the patch they are in."""
    found = []
    for log in logs:
        patch = re.sub(r'\.checkpatch$', '.patch', log.rsplit('/', 1)[-1])
        with open(log) as f:
            lines = f.read().split('\n')
        for i, line in enumerate(lines):
            m = re.match(r'^(?:\S+: )?CHECK:(\S+): (.*)', line)
            if m:
                where = next((l for l in lines[i + 1:i + 3]
                              if l.startswith('#')), '')
                found.append(f'  {patch}: {m.group(1)}: {m.group(2)}'
                             + (f'\n    {where}' if where else ''))
    return found


def main():
    cover, text_path, kernel = sys.argv[1:4]
    with open(text_path) as f:
        subject, _, body = f.read().replace('%KERNEL%', kernel).partition('\n')
    with open(cover) as f:
        letter = f.read()
    if '*** SUBJECT HERE ***' in letter:
        letter = letter.replace('*** SUBJECT HERE ***', subject.strip())
        letter = letter.replace('*** BLURB HERE ***', reflow(body).rstrip())
    if len(sys.argv) > 4:
        with open(sys.argv[4]) as f:
            report = f.read()
        found = checks(sys.argv[5:])
        # what was checked, in a sentence; a check that failed, verbatim
        failed = [l for l in report.split('\n') if l.startswith('not ok')]
        extra = ('\nEach patch was checked with checkpatch --strict, kernel-doc, a W=1\n'
                 'build and sparse (C=2), and the suites were run with kunit.py as\n'
                 'the KernelCI job runs them.\n')
        if failed:
            extra += ('\nThese checks failed:\n\n'
                      + textwrap.indent('\n'.join(failed), '  ') + '\n')
        if found:
            extra += ('\ncheckpatch --strict leaves these CHECKs:\n\n'
                      + '\n'.join(found) + '\n')
        # before the shortlog ("Name (4):")
        m = re.search(r'\n\n[^\n]+ \(\d+\):\n', letter)
        at = m.start() if m else len(letter)
        letter = letter[:at] + '\n' + extra.rstrip('\n') + letter[at:]
    with open(cover, 'w') as f:
        f.write(letter)


if __name__ == '__main__':
    main()
