"""``nnumpy playground``: a local web app that shows every forward value and gradient of a small network.

Two pages, in English and Korean:

* **2-D playground** (``/``): a toy data set (XOR, moons, circles, spiral, blobs),
  an MLP of your widths and activation, a loss and an optimizer; Start, Pause,
  Step, Reset. The decision boundary, the loss and accuracy curves and a drawing
  of the network (activations, weights and their gradients) update live, streamed
  from the server. The backprop step mode walks one sample through the network:
  forward values, then each layer's ``grad_output``, ``Parameter.grad`` and
  ``dL/dx``, all from nnumpy's own layers.
* **Digits** (``/digits``): draw a digit; the page shows it prepared as MNIST
  digits were, the class probabilities and the first layer's activations.

Needs the ``playground`` extra (Starlette, uvicorn, Pillow)::

    pip install "nnumpy[playground]"
    nnumpy playground            # http://127.0.0.1:8765, opens the browser

Example:
    >>> from nnumpy.playground import create_app
    >>> app = create_app()   # an ASGI app: uvicorn or any other ASGI server serves it
    >>> type(app).__name__
    'Starlette'

    Nothing is trained until the Digits page asks for its model.
"""

from __future__ import annotations

from ._app import create_app
from ._server import serve

__all__ = ["create_app", "serve"]
