import sys

from odedelta.adapters.cli import main

sys.exit(main())
