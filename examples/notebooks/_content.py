"""The cells of the notebooks in examples/notebooks/, English and Korean side by side.

``_build.py`` turns each entry of ``NOTEBOOKS`` into ``<stem>.ipynb`` and ``ko/<stem>.ipynb``.
A cell is ``md(en, ko)`` (the same text in two languages; links are relative to each
notebook's own folder) or ``code(src)`` (one source for both; the token ``LANG`` becomes
``"en"`` or ``"ko"``). Seeds go through nnumpy's ``rng=`` arguments only.
"""

from __future__ import annotations


def md(en: str, ko: str) -> tuple[str, dict[str, str]]:
    return ("md", {"en": en, "ko": ko})


def code(src: str) -> tuple[str, str]:
    return ("code", src)


# ----------------------------------------------------------------------------------- 01 XOR

XOR = [
    md(
        """
# XOR with a 2-2-1 sigmoid network

XOR is the smallest problem a single neuron cannot solve: no straight line separates the
corners (−1, +1) and (+1, −1) (class 1) from (−1, −1) and (+1, +1) (class 0). Two sigmoid
hidden units can, each cutting off one corner.

This notebook trains the 2-2-1 network twice: first with the training loop written out
(forward, loss, backward, optimizer step), then with `nnumpy.train.fit`, which runs the
same loop with a progress bar, and gets the same weights to the last bit. The script
version is [`examples/01_xor.py`](../01_xor.py).
""",
        """
# 2-2-1 시그모이드 신경망으로 푸는 XOR

XOR은 뉴런 하나로는 풀 수 없는 가장 작은 문제입니다. (−1, +1)과 (+1, −1) 모서리(클래스 1)를
(−1, −1)과 (+1, +1) 모서리(클래스 0)와 가르는 직선은 없습니다. 시그모이드 은닉 유닛 두 개라면
각각 모서리 하나씩을 잘라 내어 이 문제를 풀 수 있습니다.

이 노트북은 2-2-1 신경망을 두 번 학습합니다. 먼저 학습 루프(순전파, 손실, 역전파, 옵티마이저
스텝)를 직접 쓰고, 다음에는 같은 루프를 진행 막대와 함께 돌리는 `nnumpy.train.fit`으로
학습해서 마지막 비트까지 같은 가중치를 얻습니다. 같은 내용의 스크립트는
[`examples/01_xor.py`](../../01_xor.py)입니다.
""",
    ),
    code(
        """
import numpy as np

from nnumpy import datasets, nn, optim, plot
from nnumpy.data import DataLoader, TensorDataset
from nnumpy.train import evaluate, fit, predict_proba

SEED = 0  # every random draw below comes from this seed, passed as rng=
"""
    ),
    md(
        """
## The data

`datasets.load("xor")` draws 200 noisy points around the four corners and labels a point 1
where the signs of x1 and x2 differ. The test split comes from another random stream;
`rng=` chooses the draw.
""",
        """
## 데이터

`datasets.load("xor")`는 네 모서리 주변에 잡음 섞인 점 200개를 뽑고, x1과 x2의 부호가 다른 점에
레이블 1을 붙입니다. 테스트 분할은 다른 난수 스트림에서 나오며, 어떤 난수를 뽑을지는 `rng=`가
정합니다.
""",
    ),
    code(
        """
X, y = datasets.load("xor", split="train", rng=SEED)    # (200, 2) float32, (200,) int64
Xt, yt = datasets.load("xor", split="test", rng=SEED)   # kept for the very end
print(X.shape, X.dtype, y.shape, y.dtype)
print(np.round(X[:4], 2), y[:4])
"""
    ),
    md(
        """
## The model

`Linear(2, 2) → Sigmoid → Linear(2, 1)`. The output's sigmoid lives inside the loss:
`BCEWithLogitsLoss` computes the binary cross-entropy from the logit z in a form that never
takes log(0), and its gradient is simply σ(z) − y. A point is predicted as class 1 where
σ(z) > ½, that is where z > 0. In a notebook a model shows itself as a table.
""",
        """
## 모델

`Linear(2, 2) → Sigmoid → Linear(2, 1)`입니다. 출력의 시그모이드는 손실 안에 있습니다.
`BCEWithLogitsLoss`는 로짓 z로부터 log(0)을 계산할 일이 없는 형태로 이진 교차 엔트로피를 구하고,
그 기울기는 간단히 σ(z) − y입니다. σ(z) > ½, 곧 z > 0인 점을 클래스 1로 예측합니다. 노트북에서
모델은 표로 보입니다.
""",
    ),
    code(
        """
def xor_net(seed):
    g = np.random.default_rng(seed)   # one generator for both layers' initial weights
    return nn.Sequential(nn.Linear(2, 2, rng=g), nn.Sigmoid(), nn.Linear(2, 1, rng=g))


model = xor_net(SEED)
model
"""
    ),
    md(
        """
## The training loop, written out

Each batch goes through the four steps; `zero_grad` comes first because gradients add up
in `param.grad` until they are reset (as in PyTorch). BCE wants float targets of the
output's shape, so the labels become a column `(N, 1)`. The `DataLoader` shuffles the
points into batches of 16, from its own seeded generator.
""",
        """
## 직접 쓴 학습 루프

배치마다 네 단계를 거칩니다. 기울기는 초기화하기 전까지 `param.grad`에 계속 더해지므로
(PyTorch와 같습니다) `zero_grad`가 맨 앞에 옵니다. BCE는 출력과 같은 모양의 실수 타깃을 받으므로
레이블을 `(N, 1)` 열로 바꿉니다. `DataLoader`는 자기 시드로 점들을 섞어 16개씩 배치로 나눕니다.
""",
    ),
    code(
        """
Y = y[:, None].astype(np.float32)                  # (200, 1) float targets
loader = DataLoader(TensorDataset(X, Y), batch_size=16, shuffle=True, rng=SEED)
loss_fn = nn.BCEWithLogitsLoss()
opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)

for epoch in range(1, 21):
    total = 0.0
    for xb, yb in loader:
        opt.zero_grad()                            # 0. reset the gradients
        out = model(xb)                            # 1. forward: (16, 1) logits
        loss = loss_fn(out, yb)                    # 2. loss: a Python float
        model.backward(loss_fn.backward())         # 3. backward: fills every param.grad
        opt.step()                                 # 4. step: θ ← θ − lr · (momentum-averaged) gradient
        total += loss * len(yb)
    accuracy = np.mean((model(X)[:, 0] > 0) == (y == 1))   # σ(z) > ½  ⇔  z > 0
    print(f"epoch {epoch:2d}  loss {total / len(y):.4f}  train accuracy {accuracy:.3f}")
"""
    ),
    md(
        """
For the first epochs the loss stays near ln 2 ≈ 0.693, the loss of answering ½ everywhere;
then the two hidden units find their lines and it falls quickly.

## What the network computes

`predict_proba` runs the model in eval mode and turns its logits into probabilities, one
column per class: P(class 0) = 1 − σ(z) and P(class 1) = σ(z). At the four corners:
""",
        """
처음 몇 에포크 동안 손실은 어디서나 ½이라고 답할 때의 손실인 ln 2 ≈ 0.693 근처에 머뭅니다.
그러다 두 은닉 유닛이 각자의 직선을 찾으면 빠르게 떨어집니다.

## 신경망이 계산하는 것

`predict_proba`는 모델을 eval 모드로 실행하고 로짓을 클래스마다 한 열씩 확률로 바꿉니다.
P(클래스 0) = 1 − σ(z), P(클래스 1) = σ(z)입니다. 네 모서리에서 보면 다음과 같습니다.
""",
    ),
    code(
        """
corners = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.float32)
proba = predict_proba(model, corners)              # (4, 2)
for (x1, x2), p in zip(corners, proba):
    print(f"x1 {x1:+.0f}  x2 {x2:+.0f}  XOR {int(x1 != x2)}  P(class 1) {p[1]:.4f}")

hidden = model[0]                                  # each hidden unit is a line w·x + b = 0
for j in range(2):
    w, b = hidden.weight.data[j], hidden.bias.data[j]
    print(f"hidden unit {j}: {w[0]:+.2f}·x1 {w[1]:+.2f}·x2 {b:+.2f} = 0")
"""
    ),
    md(
        """
## The same with `fit`

`fit` runs this loop: it batches `(X, Y)` with a `DataLoader` seeded by `rng`, and for each
batch calls `zero_grad`, the forward pass, the loss, `backward` and `step`. With the same
seed it draws the same batches, so a fresh network ends with exactly the weights of the loop
above. In Jupyter each epoch shows a progress bar (`progress=False` turns it off) and prints
one line (`verbose=False`). It returns a `History`, one row per epoch, which a notebook
shows as a table with small curves.
""",
        """
## 같은 일을 `fit`으로

`fit`이 바로 이 루프를 돌립니다. `rng`로 시드를 준 `DataLoader`로 `(X, Y)`를 배치로 나누고,
배치마다 `zero_grad`, 순전파, 손실, `backward`, `step`을 호출합니다. 시드가 같으면 같은 배치를
뽑으므로, 새로 만든 신경망이 위 루프와 똑같은 가중치로 끝납니다. Jupyter에서는 에포크마다 진행
막대가 보이고(`progress=False`로 끌 수 있습니다) 한 줄씩 출력합니다(`verbose=False`로 끕니다).
반환값은 에포크마다 한 행인 `History`이며, 노트북에서는 작은 곡선이 붙은 표로 보입니다.
""",
    ),
    code(
        """
model2 = xor_net(SEED)
opt2 = optim.SGD(model2.parameters(), lr=0.5, momentum=0.9)
history = fit(model2, nn.BCEWithLogitsLoss(), opt2, (X, Y), epochs=20, batch_size=16, rng=SEED)

same = all(np.array_equal(a.data, b.data) for a, b in zip(model.parameters(), model2.parameters()))
print("the same weights as the loop above:", same)
history
"""
    ),
    md(
        """
The test points have been left alone until now. `evaluate` measures them once, in eval
mode; the result shows as a table, with the confusion matrix (rows: true class, columns:
predicted class).
""",
        """
지금까지 테스트 점들은 건드리지 않았습니다. `evaluate`가 eval 모드에서 한 번 측정하며, 결과는
혼동 행렬(행은 실제 클래스, 열은 예측 클래스)과 함께 표로 보입니다.
""",
    ),
    code(
        """
evaluate(model2, (Xt, yt[:, None].astype(np.float32)), nn.BCEWithLogitsLoss())
"""
    ),
    md(
        """
## The decision boundary

`plot.plot_decision_boundary` colours the input plane by the predicted class and draws the
points on top: the band between the two hidden units' lines is class 1. Every `nnumpy.plot`
function returns a matplotlib Figure, which a notebook shows when it is the cell's value.
""",
        """
## 결정 경계

`plot.plot_decision_boundary`는 입력 평면을 예측 클래스에 따라 칠하고 그 위에 점을 찍습니다. 두
은닉 유닛의 직선 사이에 놓인 띠가 클래스 1입니다. `nnumpy.plot`의 함수는 모두 matplotlib
Figure를 반환하며, 셀의 값이 Figure이면 노트북이 그림을 보여 줍니다.
""",
    ),
    code(
        """
plot.plot_decision_boundary(model2, Xt, yt)
"""
    ),
    md(
        """
## Try

- Set `SEED = 12` in the first cell and run everything again: the network settles in a
  local minimum where two corners get σ ≈ ½ (loss ≈ 0.36, 75 % accuracy), the classic XOR
  trap. More epochs do not get it out.
- Replace `nn.Sigmoid()` by `nn.Tanh()` or `nn.ReLU()`, or the hidden width 2 by 4: how
  many epochs until every point is right?
""",
        """
## 해 볼 것

- 첫 셀에서 `SEED = 12`로 바꾸고 전부 다시 실행해 보세요. 신경망이 두 모서리에서 σ ≈ ½를 내는
  국소 최솟값(손실 ≈ 0.36, 정확도 75 %)에 머무릅니다. XOR의 고전적인 함정으로, 에포크를 늘려도
  빠져나오지 못합니다.
- `nn.Sigmoid()`를 `nn.Tanh()`나 `nn.ReLU()`로, 은닉층 너비 2를 4로 바꿔 보세요. 모든 점을 맞히기
  까지 몇 에포크가 걸리나요?
""",
    ),
]


NOTEBOOKS = {
    "01_xor": XOR,
}
