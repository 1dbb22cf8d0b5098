import sys

from stuf_fin.cli import main

sys.exit(main())
