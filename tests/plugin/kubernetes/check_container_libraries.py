#!/usr/bin/env python3
"""Checks that a Containerfile installs every shared library a binary links.

No container engine runs where the tests run, so the image is never built here. What can be
checked without one: each library `ldd BINARY` resolves is owned by a Debian package (`dpkg -S`),
and that package must be in the Containerfile's `apt-get install` list, be a dependency (through
Depends/Pre-Depends, recursively, as installed here) of one in that list, or have Priority
required (in every Debian image). Exit 0 when all are, 1 naming each library that is not.

Usage: check_container_libraries.py BINARY CONTAINERFILE
"""
import re
import subprocess
import sys


def packages_linked(binary):
    """Library path -> owning package ("?" when dpkg knows none), from one dpkg -S call."""
    out = subprocess.run(["ldd", binary], check=True, capture_output=True, text=True).stdout
    paths = [match.group(1) for match in re.finditer(r"=>\s+(/\S+)", out)]
    real = subprocess.run(["readlink", "-f", *paths], check=True, capture_output=True,
                          text=True).stdout.split()
    # /lib and /usr/lib are one directory on Debian 12; dpkg knows one spelling of each file.
    spellings = {}
    for path in real:
        spellings[path] = path
        spellings[path.replace("/usr/lib/", "/lib/", 1)] = path
    owners = subprocess.run(["dpkg", "-S", *spellings], capture_output=True, text=True).stdout
    linked = {path: "?" for path in real}
    for line in owners.splitlines():
        package, _, path = line.partition(": ")
        if path in spellings:
            linked[spellings[path]] = package.split(":")[0]
    return linked


def installed_list(containerfile):
    text = open(containerfile, encoding="utf-8").read().replace("\\\n", " ")
    packages = set()
    for match in re.finditer(r"apt-get install ([^&]*)", text):
        packages.update(word for word in match.group(1).split() if not word.startswith("-"))
    return packages


def installed_packages():
    """Package -> (priority, [dependency alternatives]) of every installed package, one call."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}\t${Priority}\t${Pre-Depends},${Depends}\n"],
        check=True, capture_output=True, text=True).stdout
    packages = {}
    for line in out.splitlines():
        name, priority, depends = (line.split("\t") + ["", ""])[:3]
        names = [choice.strip().split(" ")[0].split(":")[0]
                 for alternative in depends.split(",") for choice in alternative.split("|")]
        packages[name] = (priority, [n for n in names if n])
    return packages


def closure(listed, packages):
    seen, todo = set(), list(listed)
    while todo:
        package = todo.pop()
        if package in seen:
            continue
        seen.add(package)
        todo.extend(packages.get(package, ("", []))[1])
    return seen


def main():
    binary, containerfile = sys.argv[1], sys.argv[2]
    listed = installed_list(containerfile)
    if not listed:
        print(f"{containerfile}: no apt-get install list found", file=sys.stderr)
        return 1
    packages = installed_packages()
    reachable = closure(listed, packages)
    missing = []
    for library, package in sorted(packages_linked(binary).items()):
        if package in reachable or packages.get(package, ("", []))[0] == "required":
            continue
        missing.append(f"{library} (package {package})")
    for item in missing:
        print(f"{containerfile}: the image lacks {item}, which {binary} links: add it to the "
              "apt-get install list", file=sys.stderr)
    print(f"{len(listed)} package(s) listed; {len(missing)} linked library(ies) missing")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
