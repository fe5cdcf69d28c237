"""A training run for the fault-injection tests: resumes from ``CKPT`` when it exists, writes the
final weights and History when done. Run as ``python _train_worker.py OUT_DIR``."""

import json
import sys
from pathlib import Path

import numpy as np

import nnumpy
from nnumpy import nn, optim, train

out = Path(sys.argv[1])
ckpt = out / "checkpoint.safetensors"
data_rng = np.random.default_rng(0)
X = data_rng.standard_normal((2000, 20)).astype(np.float32)
y = (X[:, :3].sum(axis=1) > 0).astype(np.int64) + (X[:, 3] > 1).astype(np.int64)
model = nn.Sequential(nn.Linear(20, 64, rng=1), nn.ReLU(), nn.Dropout(0.2, rng=2), nn.Linear(64, 3, rng=3))
opt = optim.Adam(model.parameters(), lr=0.01)
sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
history = train.fit(model, nn.CrossEntropyLoss(), opt, (X, y), epochs=8, batch_size=16, rng=4,
                    validation_split=0.2, callbacks=[sched], progress=False, verbose=False,
                    checkpoint=ckpt, checkpoint_every=5, resume=ckpt if ckpt.exists() else None)
nnumpy.save(model, out / "final.safetensors")
rows = [{k: v for k, v in row.items() if k != "time"} for row in history.epochs]  # time: wall clock
(out / "history.json").write_text(json.dumps({"rows": rows, "stop": history.stop_reason}))
