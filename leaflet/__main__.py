"""``python -m leaflet`` runs the command line."""

from .cli import main

main()
