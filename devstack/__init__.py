"""The embedded stack for one machine: storage servers, the suite's services, demo data.

Used by the run command (``scripts/run``) and by the tests, so both start things the same way.
"""
