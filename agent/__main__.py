"""`python -m agent`: the newsbrief command line."""

import sys

from .cli import main

sys.exit(main())
