"""Verified leaderboards: one folder per benchmark (``leaderboards/ac/ms1190/``) holding the
accepted submissions, plus the code that re-verifies, ranks and renders them."""
