"""The asynchronous client classes: the one hand-written source of the resources.

`meshapi/_sync/` is generated from these files by `scripts/unasync.py`; edit here, then
run `python scripts/unasync.py` (the test suite checks that the two agree).
"""
