import sys

from odedelta.partners.cli import main

sys.exit(main())
