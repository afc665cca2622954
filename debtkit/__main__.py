import sys

from debtkit.cli import main

sys.exit(main())
