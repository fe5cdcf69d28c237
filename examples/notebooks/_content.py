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

# ----------------------------------------------------------------------------------- 02 TwoLayerNet

TWO_LAYER_NET = [
    md(
        """
# The book's TwoLayerNet on MNIST

The two-layer network of *Deep Learning from Scratch* (Saito Koki, chapter 5): Affine →
ReLU → Affine → Softmax-with-Loss, 784-100-10, weights drawn from N(0, 0.01²) and zero
biases, SGD with learning rate 0.1 on mini-batches of 100. In nnumpy the Affine layers are
`nn.Linear` (its weight has shape (out, in) as in PyTorch: the book's `W1`, of shape
(784, 100), is its transpose) and Softmax-with-Loss is `nn.CrossEntropyLoss`.

The data is `mnist-sample`, which ships with nnumpy: 8,000 training and 2,000 test images
taken from the official MNIST test set. The notebook first checks the backward pass
against numerical gradients, as the book does, then trains for a few epochs, measures
the test set once and looks at the digits the network gets wrong. The script version,
[`examples/04_two_layer_net_mnist.py`](../04_two_layer_net_mnist.py), trains longer and
uses the full MNIST when it is on the machine.
""",
        """
# 책의 TwoLayerNet으로 MNIST 학습하기

『밑바닥부터 시작하는 딥러닝』(사이토 고키) 5장의 2층 신경망입니다. Affine → ReLU → Affine →
Softmax-with-Loss 구조의 784-100-10 신경망으로, 가중치는 N(0, 0.01²)에서 뽑고 편향은 0으로 두며,
학습률 0.1의 SGD로 100개짜리 미니배치를 학습합니다. nnumpy에서 Affine 계층은 `nn.Linear`이고
(가중치 모양이 PyTorch처럼 (out, in)이라, 모양이 (784, 100)인 책의 `W1`은 그 전치입니다),
Softmax-with-Loss는 `nn.CrossEntropyLoss`입니다.

데이터는 nnumpy에 들어 있는 `mnist-sample`로, 공식 MNIST 테스트 세트에서 가져온 훈련 이미지
8,000장과 테스트 이미지 2,000장입니다. 이 노트북은 책처럼 먼저 역전파를 수치 미분과 비교해
확인하고, 몇 에포크 학습한 뒤, 테스트 세트를 한 번 측정하고, 신경망이 틀린 숫자를 살펴봅니다.
스크립트 버전인 [`examples/04_two_layer_net_mnist.py`](../../04_two_layer_net_mnist.py)는 더 오래
학습하며, 컴퓨터에 전체 MNIST가 있으면 그것을 씁니다.
""",
    ),
    code(
        """
import numpy as np

from nnumpy import datasets, nn, optim, plot
from nnumpy.train import evaluate, fit, predict_proba

SEED = 0  # every random draw below comes from this seed, passed as rng=
"""
    ),
    md(
        """
## The data

Images of 28×28 pixels with values in [0, 1], flattened to 784 numbers as the book's
`load_mnist(flatten=True)` does; labels are class indices, and `class_names` gives the
name of each class (here the digits themselves).
""",
        """
## 데이터

28×28 픽셀 이미지로 값은 [0, 1] 범위이며, 책의 `load_mnist(flatten=True)`처럼 784개의 수로
펼칩니다. 레이블은 클래스 번호이고, `class_names`는 각 클래스의 이름(여기서는 숫자 자체)을
돌려줍니다.
""",
    ),
    code(
        """
X, y = datasets.load("mnist-sample", split="train")     # (8000, 1, 28, 28) float32, (8000,) int64
Xt, yt = datasets.load("mnist-sample", split="test")    # (2000, 1, 28, 28): kept for the very end
X, Xt = X.reshape(len(X), -1), Xt.reshape(len(Xt), -1)  # (N, 784)
names = datasets.class_names("mnist-sample")
print(X.shape, Xt.shape, f"pixel values in [{X.min()}, {X.max()}]", names)
"""
    ),
    md(
        """
## The network

`nn.init.normal_` and `nn.init.zeros_` replace the default initialisation by the book's.
`summary` runs one batch through a copy of the model and lists each layer's output shape
and parameter count.
""",
        """
## 신경망

`nn.init.normal_`과 `nn.init.zeros_`로 기본 초기화를 책의 초기화로 바꿉니다. `summary`는 모델의
복사본에 배치 하나를 흘려 보내고 계층마다 출력 모양과 파라미터 수를 보여 줍니다.
""",
    ),
    code(
        """
def two_layer_net(seed):
    \"\"\"784-100-10 ReLU with W ~ N(0, 0.01²) and b = 0, as the book's TwoLayerNet.\"\"\"
    g = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(784, 100, rng=g), nn.ReLU(), nn.Linear(100, 10, rng=g))
    for layer in (model[0], model[2]):
        nn.init.normal_(layer.weight, 0.0, 0.01, rng=g)
        nn.init.zeros_(layer.bias)
    return model


print(two_layer_net(SEED).summary((100, 784)))
"""
    ),
    md(
        """
## Backprop against numerical gradients

Before training, the book checks the backward pass: it computes the gradient of the loss
on three training images by backpropagation and by central differences,
(L(θ + h) − L(θ − h)) / 2h for each parameter θ with h = 10⁻⁴, and prints the mean
absolute difference for each parameter. The check runs in float64 (`.double()`): in
float32 the differences themselves carry errors near 10⁻³ and would hide a real bug.

Two forward passes per parameter would be 159,020 passes for the 79,510 parameters (about
20 seconds), so this check takes up to 300 entries of each parameter, chosen at random.
Differences of 10⁻¹⁰ or less, far below the size of the gradients, are float64 rounding:
backprop is right. `nnumpy.check.gradcheck` and `check_layer` do this for any
layer, with a report (notebook 03).
""",
        """
## 역전파와 수치 미분 비교

학습 전에 책은 역전파를 확인합니다. 훈련 이미지 세 장에 대한 손실의 기울기를 역전파로 한 번,
중심 차분 (L(θ + h) − L(θ − h)) / 2h(각 파라미터 θ마다, h = 10⁻⁴)로 한 번 구하고, 파라미터마다
절댓값 차이의 평균을 출력합니다. 확인은 float64에서 합니다(`.double()`). float32에서는 차분
자체의 오차가 10⁻³ 근처라서 진짜 버그를 가려 버립니다.

파라미터 하나에 순전파가 두 번씩이면 79,510개 파라미터에 159,020번(20초 남짓)이 필요하므로,
여기서는 파라미터마다 무작위로 고른 원소 최대 300개만 확인합니다. 차이가 기울기의 크기보다 훨씬
작은 10⁻¹⁰ 이하라면 float64의 반올림 오차이고, 역전파는 맞습니다. `nnumpy.check.gradcheck`와
`check_layer`는 어떤 계층이든 이 확인을 해 주고 보고서도 만들어 줍니다(노트북 03).
""",
    ),
    code(
        """
def numerical_gradient(f, param, index, h=1e-4):
    \"\"\"(f(θ + h) − f(θ − h)) / 2h for one entry θ = param.data[index].\"\"\"
    old = param.data[index]
    param.data[index] = old + h
    up = f()
    param.data[index] = old - h
    down = f()
    param.data[index] = old                        # put the entry back
    return (up - down) / (2 * h)


net = two_layer_net(SEED).double()                 # float64 copy of the initial network
x3, t3 = X[:3].astype(np.float64), y[:3]           # three training images, as in the book
loss_fn = nn.CrossEntropyLoss()
loss_fn(net(x3), t3)
net.backward(loss_fn.backward())                   # backprop: fills every param.grad


def loss():
    return loss_fn(net(x3), t3)


pick = np.random.default_rng(SEED)                 # which entries to check
for name, p in net.named_parameters():
    idx = pick.choice(p.data.size, size=min(300, p.data.size), replace=False)
    numeric = np.array([numerical_gradient(loss, p, np.unravel_index(i, p.shape)) for i in idx])
    backprop = p.grad.ravel()[idx]
    print(f"{name:9} {str(p.shape):10} {idx.size:3} entries:  mean |backprop − numeric| "
          f"{np.mean(np.abs(backprop - numeric)):.1e}  (mean |gradient| {np.mean(np.abs(backprop)):.1e})")
"""
    ),
    md(
        """
## Training

`fit` holds out 10 % of the training images (`validation_split=0.1`, a random 800 drawn
from `rng`) and measures them after every epoch; the model never trains on them, so they
show whether it generalises, and the test images stay untouched until the end. 7,200
training images in batches of 100 are 72 steps an epoch. Under Jupyter a progress bar
shows each epoch.
""",
        """
## 학습

`fit`은 훈련 이미지의 10 %를 떼어 두고(`validation_split=0.1`, `rng`로 무작위로 뽑은 800장) 에포크가
끝날 때마다 측정합니다. 모델은 이 이미지로 학습하지 않으므로 일반화가 되는지 보여 주고, 테스트
이미지는 마지막까지 건드리지 않습니다. 훈련 이미지 7,200장을 100장씩 나누면 한 에포크가 72스텝입니다.
Jupyter에서는 에포크마다 진행 막대가 보입니다.
""",
    ),
    code(
        """
model = two_layer_net(SEED)
history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), (X, y),
              epochs=10, batch_size=100, validation_split=0.1, rng=SEED)
history
"""
    ),
    md(
        """
`plot.plot_curves` draws the loss and accuracy per epoch, for the training batches and the
held-out images. The training values are means over the epoch's batches, taken while the
weights were still changing, which is why the first epoch looks worse on the training data
than on the held-out images. While the two curves stay together the network is not
overfitting.
""",
        """
`plot.plot_curves`는 에포크마다 훈련 배치와 떼어 둔 이미지의 손실과 정확도를 그립니다. 훈련 쪽
값은 가중치가 아직 바뀌는 동안 그 에포크의 배치들에서 잰 평균이라서, 첫 에포크에서는 떼어 둔
이미지보다 훈련 데이터에서 더 나빠 보입니다. 두 곡선이 붙어 있는 동안은 과대적합이 아닙니다.
""",
    ),
    code(
        """
plot.plot_curves(history)
"""
    ),
    md(
        """
## The test set, once

`evaluate` runs the model in eval mode over the 2,000 test images: the loss, the accuracy
and the confusion matrix (rows: true digit, columns: predicted digit). The book reaches
about 97 % with 10,000 steps on the full 60,000 MNIST images; here, after 720 steps on
7,200 images, expect a little over 90 %.
""",
        """
## 테스트 세트는 한 번만

`evaluate`는 테스트 이미지 2,000장에 대해 모델을 eval 모드로 실행하고 손실, 정확도, 혼동 행렬(행은
실제 숫자, 열은 예측한 숫자)을 보여 줍니다. 책은 MNIST 60,000장 전체로 10,000스텝을 학습해 약
97 %에 이릅니다. 여기서는 7,200장으로 720스텝을 학습했으니 90 %를 조금 넘으면 됩니다.
""",
    ),
    code(
        """
evaluate(model, (Xt, yt), nn.CrossEntropyLoss(), class_names=names)
"""
    ),
    md(
        """
## The digits it gets wrong

`predict_proba` gives each test image's probability for each class (a softmax of the
logits, in eval mode). The most instructive mistakes are the confident ones: below, the
twelve misclassified images with the highest probability on the wrong digit, labelled
predicted / true.
""",
        """
## 신경망이 틀린 숫자

`predict_proba`는 테스트 이미지마다 각 클래스의 확률(eval 모드에서 로짓에 소프트맥스를 취한 값)을
돌려줍니다. 가장 배울 것이 많은 실수는 자신 있게 틀린 것입니다. 아래는 틀린 숫자에 가장 높은
확률을 준 이미지 열두 장으로, 제목은 예측 / 정답입니다.
""",
    ),
    code(
        """
proba = predict_proba(model, Xt)                   # (2000, 10), rows sum to 1
pred = proba.argmax(axis=1)
wrong = np.flatnonzero(pred != yt)
confident = wrong[np.argsort(-proba[wrong, pred[wrong]])][:12]   # most confident mistakes first
print(f"{wrong.size} of {len(yt)} test images misclassified")
for i in confident[:3]:
    print(f"image {i}: predicted {names[pred[i]]} with p = {proba[i, pred[i]]:.3f}, "
          f"true {names[yt[i]]} got p = {proba[i, yt[i]]:.3f}")
plot.plot_misclassified(Xt[confident], yt[confident], pred[confident], classes=names)
"""
    ),
    md(
        """
## Try

- The script trains for 17 epochs, which on the full MNIST are the book's 10,000 steps.
  Set `epochs=17` here (1,224 steps) and compare the curves: does the validation accuracy
  keep up with the training accuracy?
- Change the initial standard deviation 0.01 to 1.0 and run the notebook again: the
  gradient check still passes (backprop is right whatever the weights), but training does
  not get far.
""",
        """
## 해 볼 것

- 스크립트는 17 에포크를 학습하는데, 전체 MNIST에서는 이것이 책의 10,000스텝입니다. 여기서도
  `epochs=17`로 바꾸고(1,224스텝) 곡선을 비교해 보세요. 검증 정확도가 훈련 정확도를 따라가나요?
- 초기 표준편차 0.01을 1.0으로 바꾸고 노트북을 다시 실행해 보세요. 기울기 확인은 여전히
  통과하지만(가중치가 어떻든 역전파는 맞으니까요) 학습은 멀리 가지 못합니다.
""",
    ),
]

# ----------------------------------------------------------------------------------- 03 your own layer

YOUR_OWN_LAYER = [
    md(
        """
# Writing your own layer, and checking it

Every nnumpy layer is a `Module` with two methods. `forward(x)` computes the output and
caches what the derivative will need; `backward(dout)` receives dL/dy, **adds** dL/dθ into
each parameter's `.grad` and **returns** dL/dx. Nothing runs a hand-written backward
against the truth except a check, so nnumpy ships one: `check_layer(layer, input_shape)`
compares the backward with float64 central differences and tests the rules every backward
must follow; when something fails it says which rule, where, and, for the classic
mistakes, what the bug is and how to fix it.

This notebook writes the book's Affine and a Sigmoid, checks them, breaks them in two
classic ways and reads the diagnoses, then trains a network made of them. (`lang="ko"`
gives the checker's explanations in Korean; the Korean twin of this notebook uses it.)
[docs/custom-layer.md](../../docs/custom-layer.md) has more of these, and
[docs/debugging-backward.md](../../docs/debugging-backward.md) every diagnosis the checker
knows.
""",
        """
# 나만의 계층을 쓰고 확인하기

nnumpy의 계층은 모두 메서드 두 개를 가진 `Module`입니다. `forward(x)`는 출력을 계산하고 도함수에
필요한 것을 저장해 둡니다. `backward(dout)`는 dL/dy를 받아 각 파라미터의 `.grad`에 dL/dθ를
**더하고**, dL/dx를 **돌려줍니다**. 손으로 쓴 backward가 맞는지는 확인해 보기 전에는 알 수 없으므로,
nnumpy는 확인 도구를 함께 제공합니다. `check_layer(layer, input_shape)`는 backward를 float64 중심
차분과 비교하고 모든 backward가 지켜야 할 규칙을 점검합니다. 실패하면 어느 규칙이 어디서 깨졌는지
알려 주고, 흔한 실수라면 무엇이 버그이고 어떻게 고치는지도 알려 줍니다.

이 노트북은 책의 Affine 계층과 Sigmoid 계층을 쓰고, 확인하고, 흔한 방식 두 가지로 망가뜨려
진단을 읽어 본 다음, 이 계층들로 만든 신경망을 학습합니다. `check_layer`에 `lang="ko"`를 주면
점검 항목과 진단을 한국어로 설명해 줍니다. 이런 예가 더
[docs/ko/custom-layer.md](../../../docs/ko/custom-layer.md)에 있고, 확인 도구가 아는 진단은 모두
[docs/ko/debugging-backward.md](../../../docs/ko/debugging-backward.md)에 정리되어 있습니다.
""",
    ),
    code(
        """
import numpy as np

from nnumpy import datasets, nn, optim, plot
from nnumpy.check import check_layer
from nnumpy.nn import Module, Parameter
from nnumpy.train import evaluate, fit

SEED = 0  # every random draw below comes from this seed, passed as rng=
"""
    ),
    md(
        """
## Affine

y = x W + b with W of shape (in, out), as in the book (nnumpy's own `nn.Linear` stores the
transpose, (out, in), as PyTorch does; the checker accepts either). With dout = dL/dy of
shape (N, out): dL/dW = xᵀ dout, dL/db = the sum of dout over the batch, dL/dx = dout Wᵀ.
`Parameter.accumulate` adds into `.grad` and refuses a gradient of the wrong shape.
""",
        """
## Affine

y = x W + b이고, W의 모양은 책처럼 (in, out)입니다(nnumpy의 `nn.Linear`는 PyTorch처럼 전치인
(out, in)으로 저장하며, 확인 도구는 어느 쪽이든 받아들입니다). 모양이 (N, out)인 dout = dL/dy에
대해 dL/dW = xᵀ dout, dL/db = 배치 방향으로 더한 dout, dL/dx = dout Wᵀ입니다.
`Parameter.accumulate`는 `.grad`에 더하며, 모양이 틀린 기울기는 거부합니다.
""",
    ),
    code(
        """
class Affine(Module):
    \"\"\"y = x @ W + b, with W of shape (in, out) as in the book.\"\"\"

    def __init__(self, n_in, n_out, *, rng=None):
        super().__init__()
        g = np.random.default_rng(rng)
        self.W = Parameter(g.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, n_out)))   # (in, out)
        self.b = Parameter(np.zeros(n_out))                                      # (out,)

    def forward(self, x):
        self.x = x                                 # dL/dW needs the input
        return x @ self.W.data + self.b.data       # (N, out)

    def backward(self, dout):                      # dout = dL/dy: (N, out)
        self.W.accumulate(self.x.T @ dout)         # dL/dW = xᵀ dout: (in, out)
        self.b.accumulate(dout.sum(axis=0))        # dL/db: summed over the batch, (out,)
        return dout @ self.W.data.T                # dL/dx = dout Wᵀ: (N, in)


check_layer(Affine(3, 2, rng=SEED), (4, 3), lang=LANG)
"""
    ),
    md(
        """
Every check passes. The input shape `(4, 3)` is one test batch, batch first; the checker
works on a float64 copy and never touches the layer you pass.

## Sigmoid

σ(x) = 1 / (1 + e⁻ˣ), written as ½ tanh(x/2) + ½, which is the same function but never
overflows. Its derivative is σ'(x) = y (1 − y) with y the *output*, so forward caches y.
""",
        """
모든 점검을 통과합니다. input 모양 `(4, 3)`은 배치가 앞에 오는 시험용 배치 하나입니다. 확인
도구는 float64 복사본으로 작업하며, 넘겨준 계층 자체는 건드리지 않습니다.

## Sigmoid

σ(x) = 1 / (1 + e⁻ˣ)를 ½ tanh(x/2) + ½로 씁니다. 같은 함수이지만 오버플로가 나지 않습니다.
도함수는 σ'(x) = y (1 − y)이고 y는 *출력*이므로, forward가 y를 저장해 둡니다.
""",
    ),
    code(
        """
class Sigmoid(Module):
    def forward(self, x):
        self.y = 0.5 * np.tanh(0.5 * x) + 0.5     # = 1 / (1 + exp(-x)), without overflow
        return self.y

    def backward(self, dout):
        return dout * self.y * (1.0 - self.y)      # σ'(x) = y (1 − y)


check_layer(Sigmoid(), (4, 3), lang=LANG)
"""
    ),
    md(
        """
## Bug 1: a bias gradient not summed over the batch

The bias is shared by every sample of the batch, so its gradient is the sum of the
samples' gradients. Passing `dout` itself, one row per sample, is one of the most common
slips. `accumulate` refuses the shape, so backward raises, and the report names the bug:
`report.failed` lists the failed checks and `report.diagnoses` the bugs behind them, most
likely first, each with a stable code.
""",
        """
## 버그 1: 배치 방향으로 더하지 않은 편향 기울기

편향은 배치의 모든 샘플이 함께 쓰므로, 그 기울기는 샘플별 기울기의 합입니다. 샘플마다 한 행씩인
`dout`을 그대로 넘기는 것은 가장 흔한 실수 가운데 하나입니다. `accumulate`가 이 모양을 거부하므로
backward에서 오류가 나고, 보고서가 버그의 이름을 알려 줍니다. `report.failed`에는 실패한 점검이,
`report.diagnoses`에는 그 뒤에 있는 버그가 가능성 높은 순서로 고정된 코드와 함께 들어 있습니다.
""",
    ),
    code(
        """
class AffineBiasNotSummed(Affine):
    def backward(self, dout):
        self.W.accumulate(self.x.T @ dout)
        self.b.accumulate(dout)                    # BUG: (N, out); the fix sums over the batch
        return dout @ self.W.data.T


report = check_layer(AffineBiasNotSummed(3, 2, rng=SEED), (4, 3), lang=LANG)
print(report.failed, [d.code for d in report.diagnoses])
report
"""
    ),
    md(
        """
## Bug 2: the derivative taken at the input

σ'(x) = y (1 − y) reads like a function of x, and `self.x * (1 - self.x)` is a natural
thing to type. The shapes are right, so nothing crashes: only the gradient check fails,
on every entry. The checker re-runs backward at the point where the formula would be right
and recognises the mix-up.
""",
        """
## 버그 2: 입력에서 구한 도함수

σ'(x) = y (1 − y)는 x의 함수처럼 읽혀서 `self.x * (1 - self.x)`라고 쓰기 쉽습니다. 모양은 맞으니
아무것도 멈추지 않고, 기울기 검사만 모든 원소에서 실패합니다. 확인 도구는 그 식이 맞게 되는
지점에서 backward를 다시 실행해 보고 무엇을 헷갈렸는지 알아냅니다.
""",
    ),
    code(
        """
class SigmoidDerivativeAtInput(Sigmoid):
    def forward(self, x):
        self.x = x
        return super().forward(x)

    def backward(self, dout):
        return dout * self.x * (1.0 - self.x)      # BUG: the input x where the output y belongs


report = check_layer(SigmoidDerivativeAtInput(), (4, 3), lang=LANG)
print(report.failed, [d.code for d in report.diagnoses])
report
"""
    ),
    md(
        """
## One more: a sigmoid that overflows

Written as `1 / (1 + np.exp(-x))`, the sigmoid is right and its gradients match; but for an
input of −1000, `exp(1000)` overflows. Training may never meet such an input, until it
does. The checker feeds inputs of ±1000 with NumPy's floating-point errors raised, which
is why the `Sigmoid` above uses tanh.
""",
        """
## 하나 더: 오버플로가 나는 시그모이드

`1 / (1 + np.exp(-x))`로 쓴 시그모이드도 맞는 함수이고 기울기도 일치합니다. 하지만 입력이
−1000이면 `exp(1000)`이 오버플로를 일으킵니다. 학습 중에 그런 입력을 만나지 않을 수도 있지만,
언젠가는 만납니다. 확인 도구는 NumPy의 부동소수점 오류를 예외로 바꾼 상태에서 ±1000 크기의 입력을
넣어 보며, 위의 `Sigmoid`가 tanh를 쓰는 것도 이 때문입니다.
""",
    ),
    code(
        """
class NaiveSigmoid(Sigmoid):
    def forward(self, x):
        self.y = 1.0 / (1.0 + np.exp(-x))          # overflows for x = -1000
        return self.y


report = check_layer(NaiveSigmoid(), (4, 3), lang=LANG)
print(report.failed, [d.code for d in report.diagnoses])
"""
    ),
    md(
        """
## The checked layers in a network

Layers that pass the check work in any model, with `fit` and the rest of nnumpy. A 2-16-2
network made of them learns the two moons:
""",
        """
## 확인한 계층으로 신경망 만들기

확인을 통과한 계층은 어떤 모델에서든 `fit`을 비롯한 nnumpy의 다른 기능과 함께 쓸 수 있습니다.
이 계층들로 만든 2-16-2 신경망이 두 반달 데이터를 학습합니다.
""",
    ),
    code(
        """
X, y = datasets.load("moons", split="train", rng=SEED)   # (200, 2), (200,)
Xt, yt = datasets.load("moons", split="test", rng=SEED)
model = nn.Sequential(Affine(2, 16, rng=SEED), Sigmoid(), Affine(16, 2, rng=SEED + 1))
history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.05), (X, y),
              epochs=40, batch_size=16, rng=SEED, verbose=False)
print(history)
print(evaluate(model, (Xt, yt)))
plot.plot_decision_boundary(model, Xt, yt)
"""
    ),
    md(
        """
## Try

- The book's ReLU backward writes `dout[self.mask] = 0` and returns `dout`. Write it and
  check it: the values are right, yet one check fails. Which, and why does it matter?
- Make Affine's backward return `self.W.data` (the derivative of x W "is W"), first with
  `Affine(3, 2)`, then with `Affine(3, 3)` and input shape `(3, 3)`, where the shapes agree.
- Assign instead of adding: `self.W.grad = self.x.T @ dout`. Which check notices, and why
  do gradients have to add up?
""",
        """
## 해 볼 것

- 책의 ReLU backward는 `dout[self.mask] = 0`이라고 쓰고 `dout`을 돌려줍니다. 그대로 써서 확인해
  보세요. 값은 맞는데도 점검 하나가 실패합니다. 어느 점검이고, 왜 중요할까요?
- Affine의 backward가 `self.W.data`를 돌려주게 바꿔 보세요(x W를 x로 미분하면 "W"이니까요).
  처음에는 `Affine(3, 2)`로, 다음에는 모양이 우연히 맞는 `Affine(3, 3)`과 input 모양 `(3, 3)`으로요.
- 더하지 말고 `self.W.grad = self.x.T @ dout`처럼 대입해 보세요. 어느 점검이 알아채나요? 기울기는
  왜 더해져야 할까요?
""",
    ),
]

# ----------------------------------------------------------------------------------- 04 train and evaluate

TRAIN_AND_EVALUATE = [
    md(
        """
# Training and evaluating: validation, early stopping, metrics

The workflow around a model, on the `digits` data set that ships with nnumpy (UCI's
handwritten digits, 8×8 pixels: 1,442 training and 355 test images):

1. hold out part of the *training* data for validation, and choose on it: here, when to
   stop training;
2. look at the curves;
3. measure the test data once, at the end: the accuracy, precision, recall and F1 for
   each class, and the confusion matrix;
4. read the model's probabilities, not only its answers.

At the end the same steps run on `iris`, whose classes have names.
""",
        """
# 학습과 평가: 검증, 조기 종료, 지표

모델을 둘러싼 작업 흐름을 nnumpy에 들어 있는 `digits` 데이터 세트(UCI 손글씨 숫자, 8×8 픽셀,
훈련 이미지 1,442장과 테스트 이미지 355장)로 따라가 봅니다.

1. *훈련* 데이터의 일부를 검증용으로 떼어 두고, 그것으로 결정합니다. 여기서는 언제 학습을
   멈출지를 정합니다.
2. 곡선을 봅니다.
3. 마지막에 테스트 데이터를 한 번 측정합니다. 정확도와 클래스별 정밀도, 재현율, F1, 그리고
   혼동 행렬을 봅니다.
4. 모델의 답만이 아니라 확률도 읽어 봅니다.

마지막에는 클래스에 이름이 있는 `iris`로 같은 단계를 밟습니다.
""",
    ),
    code(
        """
import numpy as np

from nnumpy import datasets, nn, optim, plot
from nnumpy.train import EarlyStopping, evaluate, fit, predict_classes, predict_proba

SEED = 0  # every random draw below comes from this seed, passed as rng=
"""
    ),
    md(
        """
## The data
""",
        """
## 데이터
""",
    ),
    code(
        """
X, y = datasets.load("digits", split="train")     # (1442, 1, 8, 8) float32 in [0, 1], (1442,) int64
Xt, yt = datasets.load("digits", split="test")    # (355, 1, 8, 8): kept for the very end
names = datasets.class_names("digits")            # the name of class k is names[k]
print(X.shape, Xt.shape)
print("test images per class:", dict(zip(names, np.bincount(yt).tolist())))
"""
    ),
    md(
        """
## Model and optimizer

A 64-64-10 ReLU network (`Flatten` turns each 8×8 image into 64 numbers) and Adam. In a
notebook both show themselves as tables (`display` shows a value that is not the last of
its cell).
""",
        """
## 모델과 옵티마이저

64-64-10 ReLU 신경망(`Flatten`이 8×8 이미지를 64개의 수로 펼칩니다)과 Adam입니다. 노트북에서는
둘 다 표로 보입니다(`display`는 셀의 마지막 값이 아닌 것을 보여 줍니다).
""",
    ),
    code(
        """
g = np.random.default_rng(SEED)
model = nn.Sequential(nn.Flatten(), nn.Linear(64, 64, rng=g), nn.ReLU(), nn.Linear(64, 10, rng=g))
loss_fn = nn.CrossEntropyLoss()
opt = optim.Adam(model.parameters(), lr=3e-3)
display(model)
opt
"""
    ),
    md(
        """
## Validation split and early stopping

`validation_split=0.1` holds out 145 of the 1,442 training images, drawn once from `rng`
before any shuffling; after every epoch `fit` measures them (the `val_` columns).
`EarlyStopping` watches `val_loss`: after 5 epochs without a new best it stops training and
puts back the weights of the best epoch, so `epochs=200` is only an upper bound. The test
images play no part in this choice, which is why their score later is an honest estimate.
`metrics=` adds columns to the History (here the macro F1); `verbose=False` leaves out the
per-epoch lines, and the progress bar and the History table remain.
""",
        """
## 검증 분할과 조기 종료

`validation_split=0.1`은 훈련 이미지 1,442장 가운데 145장을 떼어 둡니다. 섞기 전에 `rng`로 한 번
뽑으며, `fit`은 에포크가 끝날 때마다 이 이미지를 측정합니다(`val_`로 시작하는 열).
`EarlyStopping`은 `val_loss`를 지켜보다가 5 에포크 동안 최고 기록이 나오지 않으면 학습을 멈추고
가장 좋았던 에포크의 가중치를 되돌려 놓습니다. 그래서 `epochs=200`은 상한일 뿐입니다. 이 결정에
테스트 이미지는 전혀 쓰이지 않으므로, 나중에 나오는 테스트 점수는 정직한 추정치입니다.
`metrics=`는 History에 열을 더하고(여기서는 매크로 F1), `verbose=False`는 에포크마다의 출력 줄을
없앱니다. 진행 막대와 History 표는 그대로 보입니다.
""",
    ),
    code(
        """
early = EarlyStopping(monitor="val_loss", patience=5)
history = fit(model, loss_fn, opt, (X, y), epochs=200, batch_size=32, validation_split=0.1,
              metrics=["accuracy", "f1"], callbacks=[early], rng=SEED, verbose=False)
print(f"stopped after epoch {early.stopped_epoch}; the weights of epoch {early.best_epoch} are back")
history
"""
    ),
    md(
        """
## The curves

The dotted line marks the epoch with the lowest validation loss, whose weights the model
now has. After it the training loss keeps falling while the validation loss no longer
does: the model has started to learn its training images rather than digits.
""",
        """
## 곡선

점선은 검증 손실이 가장 낮았던 에포크이며, 지금 모델이 가진 가중치가 그 에포크의 것입니다. 그
뒤로 훈련 손실은 계속 내려가지만 검증 손실은 더 내려가지 않습니다. 모델이 숫자가 아니라 훈련
이미지 자체를 외우기 시작한 것입니다.
""",
    ),
    code(
        """
plot.plot_curves(history)
"""
    ),
    md(
        """
## The test split, once

For each class c: **precision** is the share of the images predicted as c that are c,
**recall** the share of the images of c that were found, and **F1** their harmonic mean.
The single numbers are macro averages, the plain mean over the classes; all of them come
from the confusion matrix and equal scikit-learn's. `top2_accuracy` counts a prediction
as right when the true class is among the two most probable. With `class_names=` the
tables name the classes.
""",
        """
## 테스트 분할은 한 번만

클래스 c마다 **정밀도**(precision)는 c로 예측한 이미지 가운데 실제로 c인 비율, **재현율**(recall)은
c인 이미지 가운데 찾아낸 비율, **F1**은 둘의 조화 평균입니다. 하나로 나온 수는 클래스에 대한
단순 평균인 매크로 평균입니다. 모두 혼동 행렬에서 계산하며 scikit-learn의 값과 같습니다.
`top2_accuracy`는 정답이 확률 상위 두 클래스 안에 들면 맞힌 것으로 셉니다. `class_names=`를
주면 표에 클래스 이름이 나옵니다.
""",
    ),
    code(
        """
result = evaluate(model, (Xt, yt), loss_fn, metrics=["accuracy", "top2_accuracy", "precision", "recall", "f1"],
                  class_names=names)
result
"""
    ),
    md(
        """
The per-class numbers are in `result["per_class"]`; the confusion matrix as a picture
shows where the mistakes go (rows: true class, columns: predicted class).
""",
        """
클래스별 수치는 `result["per_class"]`에 있습니다. 혼동 행렬을 그림으로 보면 실수가 어디로 가는지
보입니다(행은 실제 클래스, 열은 예측 클래스).
""",
    ),
    code(
        """
f1 = result["per_class"]["f1"]
weakest = int(np.argmin(f1))
print(f"macro F1 {result['f1']:.3f}; weakest class {names[weakest]} with F1 {f1[weakest]:.3f}")
plot.plot_confusion_matrix(yt, predict_classes(model, Xt), classes=names)
"""
    ),
    md(
        """
## Probabilities

`predict_proba` runs the model in eval mode and returns one row of class probabilities
per image (a softmax of the logits; each row sums to 1); `predict_classes` is its argmax.
The images the model is least sure about are worth a look: for the least confident test
predictions, the two most probable classes and their probabilities.
""",
        """
## 확률

`predict_proba`는 모델을 eval 모드로 실행해 이미지마다 클래스 확률을 한 행씩 돌려줍니다(로짓의
소프트맥스이며 각 행의 합은 1입니다). `predict_classes`는 그 argmax입니다. 모델이 가장 자신 없어
하는 이미지는 살펴볼 만합니다. 확신이 가장 낮은 테스트 예측들에 대해 확률 상위 두 클래스와 그
확률을 봅니다.
""",
    ),
    code(
        """
proba = predict_proba(model, Xt)                  # (355, 10), rows sum to 1
top2 = np.argsort(-proba, axis=1)[:, :2]          # the two most probable classes of each image
for i in np.argsort(proba.max(axis=1))[:6]:       # least confident first
    a, b = top2[i]
    print(f"test image {i:3d}, true {names[yt[i]]}:  {names[a]} (p = {proba[i, a]:.2f})  or  "
          f"{names[b]} (p = {proba[i, b]:.2f})")
"""
    ),
    md(
        """
## Classes with names: iris

The same steps on Fisher's iris (120 training and 30 test flowers, 4 measurements each),
whose classes are species. The features are standardised with the mean and standard
deviation of the training data only, so nothing about the test flowers leaks into training.
""",
        """
## 이름이 있는 클래스: iris

같은 단계를 피셔의 iris 데이터(훈련용 꽃 120송이와 테스트용 30송이, 꽃마다 측정값 4개)에
적용합니다. 이 데이터의 클래스는 품종입니다. 특징은 훈련 데이터의 평균과 표준편차만으로
표준화해서, 테스트 꽃에 대한 정보가 학습에 새어 들어가지 않게 합니다.
""",
    ),
    code(
        """
Xi, yi = datasets.load("iris", split="train")     # (120, 4), (120,)
Xit, yit = datasets.load("iris", split="test")    # (30, 4), (30,)
mean, std = Xi.mean(axis=0), Xi.std(axis=0)       # from the training flowers only
Xi, Xit = (Xi - mean) / std, (Xit - mean) / std
species = datasets.class_names("iris")

net = nn.Sequential(nn.Linear(4, 16, rng=SEED), nn.ReLU(), nn.Linear(16, 3, rng=SEED + 1))
fit(net, loss_fn, optim.Adam(net.parameters(), lr=1e-2), (Xi, yi), epochs=200, batch_size=16,
    validation_split=0.1, callbacks=[EarlyStopping(patience=10)], rng=SEED, verbose=False)
evaluate(net, (Xit, yit), loss_fn, metrics=["accuracy", "f1"], class_names=species)
"""
    ),
    code(
        """
plot.plot_confusion_matrix(yit, predict_classes(net, Xit), classes=species)
"""
    ),
    md(
        """
## Try

- Add `optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2)` to the callbacks of the
  digits run: the learning rate drops when `val_loss` stalls (the History's `lr` column
  shows when).
- Put `nn.Dropout(0.2, rng=SEED)` after the ReLU: do the training and validation curves
  stay closer together?
- With `validation_split=0.3` fewer images train the model but the stopping epoch is
  chosen on more: which matters more here?
""",
        """
## 해 볼 것

- digits 학습의 콜백에 `optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2)`를 더해 보세요.
  `val_loss`가 정체되면 학습률이 내려갑니다(History의 `lr` 열에서 언제인지 보입니다).
- ReLU 뒤에 `nn.Dropout(0.2, rng=SEED)`를 넣어 보세요. 훈련 곡선과 검증 곡선이 더 가까이
  붙어 있나요?
- `validation_split=0.3`이면 학습에 쓰는 이미지는 줄지만 멈출 에포크를 더 많은 이미지로
  고릅니다. 여기서는 어느 쪽이 더 중요할까요?
""",
    ),
]


NOTEBOOKS = {
    "01_xor": XOR,
    "02_two_layer_net_mnist": TWO_LAYER_NET,
    "03_your_own_layer": YOUR_OWN_LAYER,
    "04_train_and_evaluate": TRAIN_AND_EVALUATE,
}
