"""Tests of nnumpy.check: gradcheck, check_layer, check_loss and the tutorial they serve.

A package, so its modules import as ``check.test_...`` and their names cannot clash
with a test file of the same name elsewhere under tests/.
"""
