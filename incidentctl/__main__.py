"""``python -m incidentctl``."""

from incidentctl.cli import main

main()
