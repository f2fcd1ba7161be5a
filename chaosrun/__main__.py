import sys

from chaosrun.cli.main import main

sys.exit(main())
