"""The learning-rate schedulers, one family per file; ``nnumpy.optim.lr_scheduler`` re-exports them.

- ``_base.py``: :class:`LRScheduler` (the step protocol, ``state_dict``) and the shared argument checks;
- ``_decay.py``: StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, ConstantLR, LinearLR, PolynomialLR;
- ``_lambda.py``: LambdaLR, MultiplicativeLR (schedules given as Python functions);
- ``_cyclic.py``: CyclicLR, OneCycleLR, CosineAnnealingWarmRestarts;
- ``_compose.py``: SequentialLR, ChainedScheduler (schedulers made of schedulers);
- ``_plateau.py``: ReduceLROnPlateau.

Their tests are in ``tests/optim/test_lr_scheduler.py`` and ``tests/optim/test_lr_scheduler_more.py``.
"""
