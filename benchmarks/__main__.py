"""``python -m benchmarks``: see :mod:`benchmarks.run` (``--device``: :mod:`benchmarks.device`)."""

import sys

if any(a == "--device" or a.startswith("--device=") for a in sys.argv[1:]):
    from benchmarks.device import main
else:
    from benchmarks.run import main

raise SystemExit(main())
