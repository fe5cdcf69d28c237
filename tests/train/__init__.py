"""Tests of nnumpy.train: test_fit.py (fit, evaluate, metrics, History and their argument
checks), test_callbacks.py (every callback and the hook order), test_resume.py (bit-exact
resume from fit's checkpoints). A package, so its basenames stay private."""
