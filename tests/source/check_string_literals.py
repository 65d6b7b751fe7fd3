#!/usr/bin/env python3
"""Finds string literals that hold code: a literal that is only `, NAME, ` (or `", NAME, "`
with its quotes lost). It is what a message built with absl::StrCat becomes when the escaped
quotes around a value are dropped: `"for the key \\"", key.name, "\\""` turned into the three
literals "for the key ", ", key.name, " and "", and the diagnostic printed `, key.name, ` where
the key's name belonged (a Terraform adapter warning, fixed 2026-12-06).

Usage: check_string_literals.py DIR... (exit 1 naming each file:line, 0 when none)
       check_string_literals.py --self-test
"""
import os
import re
import sys

# A string or character literal (raw strings are skipped whole), or a comment.
TOKEN = re.compile(r'R"([^(\s]*)\((?:.|\n)*?\)\1"'
                   r'|"(?:[^"\\\n]|\\.)*"'
                   r"|'(?:[^'\\\n]|\\.)+'"
                   r'|//[^\n]*'
                   r'|/\*(?:.|\n)*?\*/')
CODE_IN_LITERAL = re.compile(r'^"\s*, [A-Za-z_][A-Za-z0-9_.>()\[\]-]*, \s*"$')


def findings(text):
    for match in TOKEN.finditer(text):
        token = match.group(0)
        if token.startswith('"') and CODE_IN_LITERAL.match(token):
            yield text.count("\n", 0, match.start()) + 1, token


def self_test():
    broken = 'x = absl::StrCat(why, "; for the key "\n    ", key.name, "\n    "");\n'
    fixed = 'x = absl::StrCat(why, "; for the key \\"", key.name, "\\"");\n'
    quoted = "c = '\"'; s = \"a, b\"; // \", key.name, \"\n"
    assert [line for line, _ in findings(broken)] == [2], list(findings(broken))
    assert not list(findings(fixed)), list(findings(fixed))
    assert not list(findings(quoted)), list(findings(quoted))
    print("self-test passed")


def main(argv):
    if argv == ["--self-test"]:
        self_test()
        return 0
    bad = 0
    for root in argv:
        for directory, _, files in os.walk(root):
            for name in sorted(files):
                if not name.endswith((".cc", ".h")):
                    continue
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8", errors="replace") as source:
                    for line, token in findings(source.read()):
                        print(f"{path}:{line}: a string literal that holds code: {token}",
                              file=sys.stderr)
                        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
