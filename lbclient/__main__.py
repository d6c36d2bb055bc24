"""``python -m lbclient``: the leaderboard's command-line client."""

from lbclient import main

raise SystemExit(main())
