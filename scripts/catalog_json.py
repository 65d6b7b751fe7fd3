"""What the catalog generators (update-gcp-roles.py, update-azure-roles.py) share: reading the
source clone with git, and writing a catalog as rules/catalogs/*.json holds it, one role per line
so that a change of the source gives a small diff."""
import subprocess
import sys


def git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True,
                          text=True).stdout


def source_commit(repo: str) -> tuple[str, str]:
    """The clone's HEAD commit and its date (YYYY-MM-DD)."""
    commit = git(repo, "rev-parse", "HEAD").strip()
    return commit, git(repo, "show", "-s", "--format=%cs", commit).strip()


def write_catalog(catalog: dict, header_keys: tuple, out=sys.stdout) -> None:
    """Writes `catalog`: its header_keys first, one per line, then "roles", one role per line."""
    import json
    out.write("{\n")
    for key in header_keys:
        out.write(f"  {json.dumps(key)}: {json.dumps(catalog[key])},\n")
    out.write('  "roles": {\n')
    lines = [f"    {json.dumps(n)}: {json.dumps(r, separators=(', ', ': '))}"
             for n, r in catalog["roles"].items()]
    out.write(",\n".join(lines))
    out.write("\n  }\n}\n")
