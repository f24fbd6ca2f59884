"""`python -m aecore datasets`: where each built-in would be loaded from, and `--fetch` to fill the cache before
a class goes offline (exit 1 when any fetch failed)."""
from __future__ import annotations

import json
import textwrap
from dataclasses import asdict

from .options import data_options

SAID = {"downloaded": "fetched", "present": "already here", "built in": "built in", "failed": "FAILED"}


def add_datasets(sub) -> None:
    """Register `datasets` (first in --help: where a newcomer starts)."""
    from ..data import DATASETS

    s = sub.add_parser("datasets", help="list the built-in datasets and where each would be loaded from; "
                                        "--fetch them for offline use")
    data_options(s, dataset=None)
    fetch = s.add_mutually_exclusive_group()
    fetch.add_argument("--fetch", action="append", choices=list(DATASETS), metavar="NAME",
                       help="download NAME into the cache (verified), unless a verified copy is already here; "
                            f"repeat for more ({', '.join(DATASETS)})")
    fetch.add_argument("--fetch-all", action="store_true", help="--fetch every built-in dataset")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.set_defaults(func=cmd_datasets)


def cmd_datasets(args) -> int:
    from ..data import dataset_sources

    if args.fetch or args.fetch_all:
        return _fetch(args)
    rows = dataset_sources(args.data_dir, args.cache_dir)
    if args.json:
        print(json.dumps(rows))
        return 0
    widths = [max(len(str(r[k])) for r in rows + [{k: k}]) for k in ("name", "kind", "title")]
    print(f"{'name':<{widths[0]}}  {'kind':<{widths[1]}}  {'title':<{widths[2]}}  will use")
    for r in rows:
        where = r["will_use"] + (f"  ({r['hint']})" if r.get("hint") else "")
        print(f"{r['name']:<{widths[0]}}  {r['kind']:<{widths[1]}}  {r['title']:<{widths[2]}}  {where}")
    return 0


def _fetch(args) -> int:
    """Fetch each dataset named (or every one), a line as each finishes, then a summary; 1 if any failed."""
    from ..data import DATASETS, fetch_all

    if args.offline:
        raise ValueError("--fetch downloads what is missing; drop --offline")
    reports = []
    for name in list(DATASETS) if args.fetch_all else list(dict.fromkeys(args.fetch)):
        report = fetch_all([name], data_dir=args.data_dir, cache_dir=args.cache_dir)[0]
        reports.append(report)
        if not args.json:
            print(f"{SAID[report.status]:<12}  {report.name:<13}  {report.message}", flush=True)
            if report.details and args.verbose:
                print(textwrap.indent(report.details, " " * 16))
    if args.json:
        print(json.dumps([asdict(r) for r in reports]))
    else:
        counts = {said: sum(SAID[r.status] == said for r in reports) for said in SAID.values()}
        print(", ".join(f"{n} {said.lower()}" for said, n in counts.items() if n))
    return 1 if any(r.status == "failed" for r in reports) else 0
