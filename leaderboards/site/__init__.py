"""The static leaderboard site (``mathgym leaderboard --site DIR``) and the board pages.

- :mod:`.build`: the site's layout, the index and board pages, the atomic build;
- :mod:`.tables`: the sortable ranking table and its small script;
- :mod:`.charts`: inline SVG charts (solve rate, per stratum, budget, training, AC lengths);
- :mod:`.instances`: per-instance pages: who solved what, with the certificates;
- :mod:`.certificates`: a certificate shown per family (AC path, proof, answer, program);
- :mod:`.markup`: escaping, links, anchors and the page shell shared by all of them.

No CDN, no network, no image files: every page is self-contained HTML with inline SVG and CSS,
linked to the others by relative links, so the site works from ``file://``.
"""

from mathgym.leaderboards.site.build import SiteError, SiteReport, build_site

__all__ = ["SiteError", "SiteReport", "build_site"]
