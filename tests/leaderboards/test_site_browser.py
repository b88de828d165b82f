"""The leaderboard site in a real headless Chromium (issue 15): the table's rows, sorting by
clicking a header (the page's script must run), sorting from ``#sort=``, cells that do not
wrap, the per-instance page's certificate, and no console error on any page.

Chromium is Debian's (``make setup`` installs it); without it these tests skip with that
reason. One browser serves the whole module (started once, killed at the end: see
``headless.py``)."""

from __future__ import annotations

import pytest
from board_runs import BOARDS, copy_boards
from headless import CHROMIUM, Browser
from mathgym.leaderboards import board
from mathgym.leaderboards.site import build_site

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (`make setup` installs Debian's "
                             "chromium with apt; without apt, install it by hand)")

BOARD_IDS = ("ac/quick", "formal/metamath-quick")
ROW_IDS = "Array.from(document.querySelectorAll('#ranking tbody tr')).map(r => r.dataset.id)"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("browser-site")
    root = copy_boards(base / "boards", BOARD_IDS)
    return build_site(base / "out", root).path, root


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


def _url(out, rel: str) -> str:
    return (out / rel).as_uri()


def test_the_table_has_a_row_per_submission_in_rank_order(site, browser):
    out, root = site
    for bid in BOARD_IDS:
        browser.open(_url(out, f"{bid}/index.html"))
        expected = [r["id"] for r in board.ranked_rows(board.load_submissions(bid, root))]
        assert len(expected) == len(list((BOARDS / bid).glob("*.json")))
        assert browser.js(ROW_IDS) == expected


def test_clicking_a_header_sorts_and_a_second_click_reverses(site, browser):
    out, root = site
    rows = board.ranked_rows(board.load_submissions("ac/quick", root))
    browser.open(_url(out, "ac/quick/index.html"))
    by_agent = [r["id"] for r in sorted(rows, key=lambda r: r["agent"])]
    assert by_agent != [r["id"] for r in rows]  # else the test could not see a change
    browser.js("document.querySelector('th[data-key=agent]').click()")
    assert browser.js(ROW_IDS) == by_agent
    assert browser.js("document.querySelector('th[data-key=agent]')"
                      ".getAttribute('aria-sort')") == "ascending"
    browser.js("document.querySelector('th[data-key=agent]').click()")
    reverse = [r["id"] for r in sorted(rows, key=lambda r: r["agent"], reverse=True)]
    assert browser.js(ROW_IDS) == reverse
    browser.js("document.querySelector('th[data-key=rank]').click()")
    assert browser.js(ROW_IDS) == [r["id"] for r in rows]


def test_a_sort_in_the_url_hash_applies_on_load(site, browser):
    out, root = site
    rows = board.ranked_rows(board.load_submissions("ac/quick", root))
    browser.open(_url(out, "ac/quick/index.html") + "#sort=-agent")
    assert browser.js(ROW_IDS) == [r["id"] for r in sorted(rows, key=lambda r: r["agent"],
                                                             reverse=True)]


def test_cells_do_not_wrap(site, browser):
    """The reported bug: dates and CIs broke over two lines. Every cell is one line high."""
    out, _ = site
    browser.open(_url(out, "ac/quick/index.html"))
    heights = browser.js("""Array.from(document.querySelectorAll('#ranking td')).map(td => {
        const r = document.createRange(); r.selectNodeContents(td);
        return [getComputedStyle(td).whiteSpace, r.getClientRects().length > 0 ?
                Math.max(...Array.from(r.getClientRects()).map(c => c.bottom))
                - Math.min(...Array.from(r.getClientRects()).map(c => c.top)) : 0,
                parseFloat(getComputedStyle(td).lineHeight)]; })""")
    assert heights and all(ws == "nowrap" for ws, _, _ in heights)
    assert all(h < 1.6 * lh for _, h, lh in heights), heights


def test_the_instance_page_shows_the_certificate(site, browser):
    out, root = site
    doc = next(d for d in board.load_submissions("ac/quick", root) if d["metrics"]["solved"])
    rec = next(r for r in doc["results"] if r["solved"])
    browser.open(_url(out, "ac/quick/instances/001.html") + f"#i-{rec['instance']}")
    shown = browser.js(f"Array.from(document.querySelectorAll('#i-{rec['instance']} "
                       "pre.cert')).map(p => p.textContent)")
    assert " ".join(map(str, rec["certificate"])) in shown
    assert browser.js(f"document.querySelectorAll('#i-{rec['instance']} svg.chart').length") >= 1
    mm = next(d for d in board.load_submissions("formal/metamath-quick", root)
              if d["metrics"]["solved"])
    proof = next(r for r in mm["results"] if r["solved"])
    browser.open(_url(out, "formal/metamath-quick/instances/001.html"))
    text = browser.js(f"document.getElementById('i-{proof['instance']}').innerText")
    assert proof["certificate"]["proof"] in text


def test_no_console_errors_on_any_page(site, browser):
    """Every page of the site, and the board folders' own pages (``page.py``)."""
    out, root = site
    for bid in BOARD_IDS:
        board.regenerate(bid, root)
    pages = sorted(out.rglob("*.html")) + sorted(root.rglob("index.html"))
    for page in pages:
        browser.open(page.as_uri())
    assert len(pages) >= 5
    assert browser.errors() == []  # on these pages and on every page the tests above opened


def test_the_error_check_sees_console_errors_and_exceptions(browser):
    """The check above can fail: a page that logs an error and throws is caught twice."""
    seen = len(browser.events)
    browser.open("data:text/html,<p>x</p><script>console.error('boom'); no_such_fn();</script>")
    found = [e for e in browser.errors() if "boom" in e or "no_such_fn" in e]
    del browser.events[seen:]
    assert len(found) == 2, found
