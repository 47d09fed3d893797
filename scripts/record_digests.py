#!/usr/bin/env python3
"""Record the manifest digest of container images in matrices/images.yaml, read from a registry's HTTP API.

    python scripts/record_digests.py --registry URL [--repository NAME]... [--tag GLOB] [--force]
                                     [--matrices DIR] [--timeout S]

For each image row (filtered by --repository and --tag) it asks the registry's distribution API
(GET URL/v2/NAME/manifests/TAG, with the manifest-list/OCI-index media types first, so a multi-architecture tag
gives its index digest) for the `Docker-Content-Digest` header, following a Bearer token challenge
(WWW-Authenticate: Bearer realm=...,service=...,scope=...) when the registry sends one. A one-component name
(`python`) is asked for as `library/NAME`, the official-images namespace (--library-prefix '' turns that off).

The registry is configuration (--registry, or DLENV_REGISTRY_URL): nothing is built in. It prints a unified diff of
images.yaml (stdout) and a summary (stderr), and writes only with --force, atomically (dlenv.files).
A digest already recorded that the registry now reports differently is shown in the diff, as any change.

Exit codes: 0 nothing to change (or written with --force); 1 changes pending without --force; 2 bad input
(unreadable file, bad flags); 4 the registry could not be read for some image (the others are still recorded).
"""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import os
import re
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dlenv.files import write_atomically  # noqa: E402

ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_ROW = re.compile(r'^  - repository: (?P<repository>\S+)\n    tag: "?(?P<tag>[^"\n]+)"?\n', re.MULTILINE)
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(Exception):
    pass


class Registry:
    def __init__(self, url: str, timeout: float, library_prefix: str) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.library_prefix = library_prefix
        self.session = requests.Session()
        self._tokens: dict[str, str] = {}

    def name(self, repository: str) -> str:
        return repository if "/" in repository else f"{self.library_prefix}{repository}"

    def _token(self, challenge: str) -> str:
        fields = dict(_CHALLENGE.findall(challenge))
        realm = fields.pop("realm", None)
        if not challenge.lower().startswith("bearer") or not realm:
            raise RegistryError(f"unsupported authentication challenge: {challenge!r}")
        response = self.session.get(realm, params=fields, timeout=self.timeout)
        if response.status_code != 200:
            raise RegistryError(f"token endpoint {realm} answered {response.status_code}")
        body = response.json()
        token = body.get("token") or body.get("access_token")
        if not isinstance(token, str):
            raise RegistryError(f"token endpoint {realm} gave no token")
        return token

    def digest(self, repository: str, tag: str) -> str:
        name = self.name(repository)
        url = f"{self.url}/v2/{name}/manifests/{tag}"
        headers = {"Accept": ACCEPT}
        if name in self._tokens:
            headers["Authorization"] = f"Bearer {self._tokens[name]}"
        try:
            response = self.session.head(url, headers=headers, timeout=self.timeout)
            if response.status_code == 401 and "www-authenticate" in response.headers:
                self._tokens[name] = self._token(response.headers["www-authenticate"])
                headers["Authorization"] = f"Bearer {self._tokens[name]}"
                response = self.session.head(url, headers=headers, timeout=self.timeout)
        except requests.RequestException as error:
            raise RegistryError(f"{url}: {error}") from None
        if response.status_code != 200:
            raise RegistryError(f"{url} answered {response.status_code}")
        digest = response.headers.get("docker-content-digest", "")
        if not DIGEST.match(digest):
            raise RegistryError(f"{url} gave no sha256 Docker-Content-Digest")
        return digest


def set_digests(text: str, digests: dict[tuple[str, str], str]) -> str:
    """images.yaml with `digest:` set on the rows given, right after their tag line; nothing else changes."""
    out: list[str] = []
    position = 0
    for match in _ROW.finditer(text):
        out.append(text[position : match.end()])
        position = match.end()
        key = (match.group("repository"), match.group("tag"))
        rest_end = text.find("\n  - repository:", position)
        rest_end = len(text) if rest_end == -1 else rest_end + 1
        rest = text[position:rest_end]
        if key in digests:
            rest = re.sub(r'^    digest: "?[^"\n]*"?\n', "", rest, flags=re.MULTILINE)
            out.append(f'    digest: "{digests[key]}"\n')
        out.append(rest)
        position = rest_end
    out.append(text[position:])
    return "".join(out)


def rows(text: str) -> list[tuple[str, str]]:
    return [(m.group("repository"), m.group("tag")) for m in _ROW.finditer(text)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registry", default=os.environ.get("DLENV_REGISTRY_URL"), help="registry API base URL")
    parser.add_argument("--repository", action="append", default=[], help="only this repository (repeatable)")
    parser.add_argument("--tag", default="*", help="only tags matching this glob")
    parser.add_argument("--matrices", type=Path, default=ROOT / "matrices")
    parser.add_argument("--library-prefix", default="library/")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--force", action="store_true", help="write images.yaml")
    args = parser.parse_args(argv)
    if not args.registry or not re.match(r"^https?://", args.registry):
        print(
            "record_digests: error: give the registry's API URL: --registry URL (or DLENV_REGISTRY_URL)",
            file=sys.stderr,
        )
        return 2
    path = args.matrices / "images.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        print(f"record_digests: error: {path}: {error.strerror or error}", file=sys.stderr)
        return 2
    registry = Registry(args.registry, args.timeout, args.library_prefix)
    wanted = [
        (repository, tag)
        for repository, tag in rows(text)
        if (not args.repository or repository in args.repository) and fnmatch.fnmatchcase(tag, args.tag)
    ]
    digests: dict[tuple[str, str], str] = {}
    failures = 0
    for repository, tag in wanted:
        try:
            digests[(repository, tag)] = registry.digest(repository, tag)
        except RegistryError as error:
            failures += 1
            print(f"record_digests: {repository}:{tag}: {error}", file=sys.stderr)
    updated = set_digests(text, digests)
    diff = list(difflib.unified_diff(text.splitlines(True), updated.splitlines(True), str(path), str(path)))
    sys.stdout.writelines(diff)
    changed = sum(1 for line in diff if line.startswith("+    digest:"))
    print(f"record_digests: {len(wanted)} image(s) asked, {changed} digest(s) new or changed, {failures} failed",
          file=sys.stderr)  # fmt: skip
    if changed and args.force:
        write_atomically(path, updated)  # NamedTemporaryFile's 0600 once replaced images.yaml's mode
    if failures:
        return 4
    return 1 if changed and not args.force else 0


if __name__ == "__main__":
    sys.exit(main())
