"""The matrix refresh: the index-derived facts of the framework files, read from the package index pip uses.

Three parts, each replaceable on its own:

* `facts` reads index facts through dlenv.index (the index the user's pip configuration names, never a host of
  ours): project pages, first upload dates, wheel tags, and the metadata a merge asks for;
* `merge` is pure: (current document, index facts, policy, today) -> the new document and a change summary;
* the policy — which index projects make a framework's releases, which releases the file must cover — is data: the
  `refresh` key of the framework file's `family` block (dlenv.matrix.model.RefreshPolicy).

`run` wires them for one file and writes atomically; `cli` is scripts/refresh_matrix.py's command line, and
scripts/update_matrix.py runs refresh, format, compile, docs and a row-level diff in one go.
"""

from __future__ import annotations

from dlenv.matrix.refresh.merge import Changes, Coverage, IndexFacts, MergeResult, ReleaseFacts, WheelFacts, merge
from dlenv.matrix.refresh.run import Outcome, refresh_each, refresh_policies, refresh_subject

__all__ = [
    "Changes",
    "Coverage",
    "IndexFacts",
    "MergeResult",
    "Outcome",
    "ReleaseFacts",
    "WheelFacts",
    "merge",
    "refresh_each",
    "refresh_policies",
    "refresh_subject",
]
