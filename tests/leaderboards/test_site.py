"""The static leaderboard site (issue 15), without a browser: layout, links, determinism,
atomic builds, escaping, the stated tie-break and the certificates on the instance pages.

The site is built from copies of four committed boards (one per family), read at test time,
so rows other engineers add to those boards are expected too."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from board_runs import board_run, copy_boards
from mathgym.leaderboards import board
from mathgym.leaderboards.site import SiteError, build_site
from mathgym.leaderboards.site import build as site_build

from mathgym.cli import main

SITE_BOARDS = ("ac/quick", "formal/metamath-quick", "reasoning/mathqa-quick",
               "reasoning/progsynth-quick")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("site")
    root = copy_boards(base / "boards", SITE_BOARDS)
    report = build_site(base / "out", root)
    return report.path, root


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if "src" in a or (tag == "link" and "href" in a):
            self.srcs.append(a.get("src") or a["href"])


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_layout_one_page_per_board_and_every_submission_copied(site):
    out, root = site
    assert (out / "index.html").is_file() and (out / ".mathgym-site").is_file()
    for bid in SITE_BOARDS:
        files = sorted(p.name for p in (root / bid).glob("*.json"))
        assert files, bid
        page = (out / bid / "index.html").read_text()
        assert page.count('<tr id="row-') == len(files)
        for name in files:
            copied = out / bid / "submissions" / name
            assert copied.read_bytes() == (root / bid / name).read_bytes()
            assert f'href="submissions/{name}"' in page
        assert (out / bid / "instances" / "001.html").is_file()
    index = (out / "index.html").read_text()
    assert all(f'href="{bid}/index.html"' in index for bid in SITE_BOARDS)


def test_every_link_is_relative_and_resolves_offline(site):
    assert _check_links(site[0]) > 100


def test_instance_pages_link_to_each_other(tmp_path, monkeypatch):
    """ac/ms1190 and the MathQA boards fill several pages: the pager links must resolve."""
    from mathgym.leaderboards.site import instances

    monkeypatch.setattr(instances, "PER_PAGE", 4)
    root = copy_boards(tmp_path / "boards", ("ac/quick",))
    out = build_site(tmp_path / "site", root).path
    assert sorted(p.name for p in (out / "ac/quick/instances").iterdir()) == [
        "001.html", "002.html", "003.html"]  # 10 instances, 4 a page
    middle = (out / "ac/quick/instances/002.html").read_text()
    assert 'href="001.html">previous page' in middle and 'href="003.html">next page' in middle
    board_page = (out / "ac/quick/index.html").read_text()
    assert board_page.count('href="instances/') == 3
    _check_links(out)


def _check_links(out: Path) -> int:
    """Assert every link of every page is relative, stays in the site and resolves (with its
    #anchor); returns how many links were checked."""
    pages = sorted(out.rglob("*.html"))
    anchors = {p: _parse(p) for p in pages}
    checked = 0
    for page, parsed in anchors.items():
        assert parsed.srcs == [], f"{page}: no external scripts, styles or images"
        for link in parsed.links:
            parts = urlsplit(link)
            assert not parts.scheme and not parts.netloc, f"{page}: absolute link {link}"
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), f"{page}: broken link {link}"
            assert out.resolve() in target.parents or target == out.resolve()
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in anchors[target].ids, f"{page}: no #{parts.fragment}"
            checked += 1
    text = "".join(p.read_text() for p in pages)
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in text
    return checked


def test_the_same_boards_give_a_byte_identical_site(site, tmp_path):
    out, root = site
    again = build_site(tmp_path / "again", root).path

    def tree(folder: Path) -> dict[str, bytes]:
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
                if p.is_file()}

    assert tree(again) == tree(out)


def test_the_page_states_the_tie_break_the_ranking_applies(site, tmp_path):
    """Equal solve rates: smaller budget first, then earlier submission, then id order."""
    out, _ = site
    page = (out / "ac/quick/index.html").read_text()
    assert board.RANKING_RULE in page.replace("&#x27;", "'")
    base = board_run("ac/quick", "ac-greedy")

    def doc(sid: str, budget: int, when: str) -> dict:
        d = copy.deepcopy(base)
        d["budget"] = dict(d["budget"], amount=budget)
        d["submission"] = {"id": sid, "submitted_at": when}
        return d

    rows = board.ranked_rows([doc("a", 20000, "2026-11-01T00:00:00Z"),
                              doc("c", 10000, "2026-11-03T00:00:00Z"),
                              doc("b", 10000, "2026-11-02T00:00:00Z"),
                              doc("d", 10000, "2026-11-02T00:00:00Z")])
    assert [r["id"] for r in rows] == ["b", "d", "c", "a"]
    assert board.RANKING_RULE in board.render_readme("ac/quick", [base | {"submission": {}}])


def test_an_occupied_folder_is_refused_and_a_failed_build_keeps_the_old_site(site, tmp_path,
                                                                             monkeypatch):
    _, root = site
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("keep me")
    with pytest.raises(SiteError, match="not a site built by mathgym"):
        build_site(mine, root)
    assert [p.name for p in mine.iterdir()] == ["todo.txt"]
    with pytest.raises(SiteError, match="inside the leaderboard root"):
        build_site(root / "web", root)  # its JSON copies would be read back as boards
    assert not (root / "web").exists()

    out = build_site(tmp_path / "site", root, ["ac/quick"]).path
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(site_build, "instance_pages", broken)
    with pytest.raises(RuntimeError):
        build_site(out, root, ["ac/quick"])
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _section(page: str, anchor: str) -> str:
    start = page.index(f'<section class="instance" id="{anchor}">')
    return page[start:page.index("</section>", start)]


def test_instance_pages_show_who_solved_it_and_the_certificate(site):
    out, root = site
    for bid, check in (("ac/quick", "ac"), ("formal/metamath-quick", "proof"),
                       ("reasoning/mathqa-quick", "answer"),
                       ("reasoning/progsynth-quick", "program")):
        docs = board.load_submissions(bid, root)
        solved = next((d, r) for d in docs for r in d["results"] if r["solved"])
        doc, rec = solved
        page = (out / bid / "instances" / "001.html").read_text()
        section = _section(page, "i-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", rec["instance"]))
        assert f"row-{doc['submission']['id']}" in section
        cert = rec["certificate"]
        if check == "ac":
            assert " ".join(map(str, cert)) in section
            assert "<svg" in section and "cap " in section
            assert re.search(r"end 1, 1\.", section)  # a verified path ends trivial
        elif check == "proof":
            assert cert["proof"] in section
        elif check == "answer":
            assert f'<pre class="cert">{cert}</pre>' in section
        else:
            assert json.dumps(cert) in section and "The program:" in section
            assert "(not decoded" not in section


def test_strata_legends_list_every_agent_and_budget_has_a_point_each(site):
    out, root = site
    page = (out / "ac/quick/index.html").read_text()
    rows = board.ranked_rows(board.load_submissions("ac/quick", root))
    assert any(r["rate"] == 0 for r in rows)  # random and bfs solve nothing here
    for name in ("n", "w_len"):
        svg = page[page.index(f'aria-label="solve rate per {name}"'):]
        svg = svg[:svg.index("</svg>")]
        legend = re.findall(r'class="legend">([^<]*)<', svg)
        assert len(legend) == len(rows)
        assert all(lbl.startswith(f"#{r['rank']} ") for lbl, r in zip(legend, rows,
                                                                       strict=True))
    budget = page[page.index('aria-label="solve rate against budget"'):]
    budget = budget[:budget.index("</svg>")]
    assert budget.count("<circle") == len(rows)
    assert len(re.findall(r'class="legend">', budget)) == len({r["agent"] for r in rows})
    sizes = [int(s) for s in re.findall(r'font-size="(\d+)"', page)]
    assert sizes and min(sizes) >= 11 and "rotate" not in page


RAW = ("<script>alert", "<b>k</b>", "<img src=x", "<svg onload", '"><script>')


def _hostile(name: str = "ac-greedy") -> dict:
    doc = board_run("ac/quick", "ac-greedy")
    doc["agent"]["name"] = name
    doc["agent"]["config"] = {"<b>k</b>": "\"'><img src=x onerror=alert(2)>"}
    other = next(r for r in doc["results"] if not r["solved"])
    other.update(solved=True, certificate="<svg onload=alert(3)>")  # planted by hand
    doc["submission"] = {"id": "x\"><script>alert(4)</script>",
                         "submitted_at": "2026-12-01T00:00:00Z"}
    return doc


def test_hostile_submissions_are_escaped_on_every_page(tmp_path):
    """A file planted on a board by hand (past submit) with markup in its config, id and
    certificates: every page of the site shows it as text."""
    root = copy_boards(tmp_path / "boards", ("ac/quick",))
    (root / "ac/quick" / "planted.json").write_text(json.dumps(_hostile()))
    out = build_site(tmp_path / "site", root).path
    text = "".join(p.read_text() for p in out.rglob("*.html"))
    assert not [raw for raw in RAW if raw in text]
    assert "&lt;b&gt;k&lt;/b&gt;" in text
    assert "&lt;svg onload=alert(3)&gt;" in text  # the planted certificate, shown as text


def test_a_hostile_agent_name_in_memory_is_escaped_too():
    """The schema refuses such names on disk; the renderers escape them all the same."""
    from mathgym.leaderboards.site.instances import instance_pages

    from mathgym.harness.registry import get_benchmark

    rows = board.ranked_rows([_hostile("<script>alert(1)</script>")])
    pages, chunks = instance_pages("ac/quick", get_benchmark("ac/quick"), rows, "../../")
    text = site_build.benchmark_page("ac/quick", rows, json_links={}, home="../../index.html",
                                     instances=chunks) + "".join(pages.values())
    assert not [raw for raw in RAW if raw in text]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_learner_rows_get_a_training_curve(tmp_path):
    root = copy_boards(tmp_path / "boards", ("ac/quick",))
    run = board_run("ac/quick", "ac-greedy")
    run["training"] = {"learner": "sb3-ppo", "steps": 40000,
                       "curve": [[0, 0], [100, 1], [40000, 6]]}
    run["submission"] = {"id": "learner", "submitted_at": "2026-12-01T00:00:00Z"}
    (root / "ac/quick" / "learner.json").write_text(json.dumps(run))
    page = (build_site(tmp_path / "site", root).path / "ac/quick/index.html").read_text()
    assert "<h2>Training</h2>" in page and "40,000" in page
    curve = page[page.index("<h2>Training</h2>"):]
    assert curve.count("<path d=\"M56 ") >= 1 and "training env steps" in curve


def test_cli_builds_the_site_and_refuses_an_unknown_benchmark(site, tmp_path, capsys):
    _, root = site
    assert main(["leaderboard", "--root", str(root), "--site", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert f"site: {tmp_path / 's' / 'index.html'}" in out and "MB" in out
    assert main(["leaderboard", "ac/nope", "--root", str(root), "--site",
                 str(tmp_path / "t")]) == 2
    assert not (tmp_path / "t").exists()


def test_the_board_folder_page_links_each_row_to_its_json(tmp_path):
    """``leaderboards/<id>/index.html`` is the site's board page on its own: its JSON links
    name the files submit writes beside it (one naming rule, board.submission_filename)."""
    from board_runs import write_doc
    from mathgym.leaderboards.submit import submit

    path = submit(write_doc(tmp_path, board_run("ac/quick", "ac-greedy")),
                  root=tmp_path / "boards")
    page = (path.parent / "index.html").read_text()
    assert f'href="{path.name}"' in page and page.count('<tr id="row-') == 1
    assert "instances/" not in page  # the instance pages live in the site only
