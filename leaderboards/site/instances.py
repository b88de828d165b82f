"""Per-instance pages of a board: who solved each instance, and the certificates themselves.

Instances are listed in the benchmark's canonical order, :data:`PER_PAGE` to a page
(``instances/001.html``, ...), each in a section with a stable anchor (``#i-ms-0000``). Why
pages of a hundred rather than one page per instance: ``ac/ms1190`` has 1190 instances and
``reasoning/mathqa-l1`` 1700; a file each would be thousands of tiny files, one file for all
would be megabytes to open. Identical certificates found by several submissions (the same
greedy path at four budgets) are shown once, with every submission that found it.

The task's public facts (presentation, theorem and statement, question) come from this
mathgym's registry, never from the files; for a benchmark the registry does not know (or a
sealed split, whose instances are secret) only what the records say is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mathgym.leaderboards.site.certificates import FACT_KEYS, render_certificate
from mathgym.leaderboards.site.charts import row_label
from mathgym.leaderboards.site.markup import anchor, esc, href, page, unique_anchors

from mathgym.harness.benchmark import canonical_json

PER_PAGE = 100


@dataclass(frozen=True)
class InstancePage:
    """One page of instances: its file name, first and last id, how many were solved."""

    filename: str
    first: str
    last: str
    count: int
    solved: int


def _instance_ids(bench: Any, rows: list[dict[str, Any]]) -> list[str]:
    if bench is not None:
        return [inst.id for inst in bench.instances]
    ids: list[str] = []
    seen: set[str] = set()
    for r in rows:
        for rec in r["doc"]["results"]:
            if rec["instance"] not in seen:
                seen.add(rec["instance"])
                ids.append(rec["instance"])
    return sorted(ids)


def _records(rows: list[dict[str, Any]]) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """instance id -> [(row index, record), ...] in rank order, then seed order."""
    out: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for k, r in enumerate(rows):
        for rec in sorted(r["doc"]["results"], key=lambda x: (str(x["instance"]), x["seed"])):
            out.setdefault(str(rec["instance"]), []).append((k, rec))
    return out


def _row_link(row: dict[str, Any]) -> str:
    return (f'<a href="../index.html#{esc(anchor("row", row["id"]))}">'
            f"{esc(row_label(row))}</a>")


def _facts(bench: Any, instance: Any, env_id: str | None) -> str:
    items = [(k, v) for k, v in sorted(instance.strata.items())] if instance else []
    if instance is not None:
        data = bench.public_view(instance).data
        items = [(k, data[k]) for k in FACT_KEYS.get(env_id or "", ()) if k in data] + items
    if not items:
        return ""
    return ('<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>"
                                           for k, v in items) + "</dl>")


def _section(iid: str, aid: str, bench: Any, env_id: str | None, rows: list[dict[str, Any]],
             records: list[tuple[int, dict[str, Any]]]) -> str:
    instance = None
    if bench is not None:
        try:
            instance = bench.instance(iid)
        except KeyError:
            instance = None
    solved = [(k, rec) for k, rec in records if rec["solved"]]
    tried = {k for k, _ in records}
    failed = sorted(tried - {k for k, _ in solved})
    status = (f'<span class="solved">solved by {len({k for k, _ in solved})} of {len(tried)} '
              "submissions</span>" if solved
              else f'<span class="unsolved">solved by none of {len(tried)} submissions</span>')
    parts = [f'<section class="instance" id="{esc(aid)}"><h3><a href="#{esc(aid)}">'
             f"{esc(iid)}</a> · {status}</h3>", _facts(bench, instance, env_id)]
    groups: dict[str, tuple[Any, list[tuple[int, dict[str, Any]]]]] = {}
    for k, rec in solved:
        key = canonical_json(rec["certificate"])
        groups.setdefault(key, (rec["certificate"], []))[1].append((k, rec))
    for n, (cert, finders) in enumerate(groups.values(), start=1):
        who = "".join(f"<li>{_row_link(rows[k])}: seed {esc(rec['seed'])}, cost "
                      f"{esc(rec['cost'])}</li>" for k, rec in finders)
        parts.append(f'<div class="certificate"><h4>Certificate {n}, found by</h4><ul>{who}'
                     f"</ul>{render_certificate(env_id, instance, cert)}</div>")
    if failed:
        parts.append("<p>Not solved by: " + ", ".join(_row_link(rows[k]) for k in failed)
                     + ".</p>")
    parts.append("</section>")
    return "".join(p for p in parts if p)


def instance_pages(bench_id: str, bench: Any, rows: list[dict[str, Any]],
                   crumbs_home: str) -> tuple[dict[str, str], list[InstancePage]]:
    """``({"instances/001.html": html, ...}, [InstancePage, ...])`` of a board.

    ``bench``: the registry's benchmark (None if unknown here or sealed); ``crumbs_home``:
    the relative link from a board folder to the site's index.
    """
    env_id = bench.env_id if bench is not None else (
        rows[0]["doc"]["benchmark"].get("env_id") if rows else None)
    ids = _instance_ids(bench, rows)
    records = _records(rows)
    anchors = unique_anchors("i", ids)
    chunks = [ids[i:i + PER_PAGE] for i in range(0, len(ids), PER_PAGE)]
    files: dict[str, str] = {}
    index: list[InstancePage] = []
    for c, chunk in enumerate(chunks, start=1):
        name = f"{c:03d}.html"
        solved_here = sum(any(rec["solved"] for _, rec in records.get(i, [])) for i in chunk)
        index.append(InstancePage(name, chunk[0], chunk[-1], len(chunk), solved_here))
        toc = "".join(
            f'<li><a href="#{esc(anchors[i])}">{esc(i)}</a>'
            + (" ✓" if any(rec["solved"] for _, rec in records.get(i, [])) else "") + "</li>"
            for i in chunk)
        pager = " ".join(([f'<a href="{c - 1:03d}.html">previous page</a>'] if c > 1 else [])
                         + ([f'<a href="{c + 1:03d}.html">next page</a>'] if c < len(chunks)
                            else []))
        body = [f"<h1>{esc(bench_id)}: instances {esc(chunk[0])} to {esc(chunk[-1])}</h1>",
                f"<p>Page {c} of {len(chunks)}; {solved_here} of {len(chunk)} instances here "
                "were solved by at least one submission (✓). Every certificate shown was "
                "re-verified by the benchmark's verifier at submission.</p>",
                f"<p>{pager}</p>" if pager else "",
                f'<ul class="toc">{toc}</ul>',
                *(_section(i, anchors[i], bench, env_id, rows, records.get(i, []))
                  for i in chunk),
                f"<p>{pager}</p>" if pager else ""]
        files[f"instances/{name}"] = page(
            f"{bench_id} instances {chunk[0]} to {chunk[-1]}", body,
            crumbs=[("leaderboards", href(f"../{crumbs_home}index.html")),
                    (bench_id, "../index.html"), (f"instances {c}", None)])
    return files, index
