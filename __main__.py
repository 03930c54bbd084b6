"""Pulumi entry point: see ndes/program.py."""
from ndes.program import main

main()
