"""nnumpy.plot.plot_filters and plot_feature_maps (src/nnumpy/plot/_conv.py): the book's ch. 7
pictures of a conv net; each figure has one axis per tile and saves a PNG."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from nnumpy import nn, plot  # noqa: E402

IMAGE = np.random.default_rng(0).random((1, 12, 12)).astype(np.float32)  # (C, H, W)


def _convnet():
    return nn.Sequential(nn.Conv2d(1, 6, 3, rng=0), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 5, 3, rng=1),
                         nn.Flatten(), nn.Linear(5 * 3 * 3, 2, rng=2))


@pytest.mark.parametrize("source", ["layer", "model", "array"])
def test_plot_filters_one_axis_per_filter(source, tmp_path):
    model = _convnet()
    arg = {"layer": model[0], "model": model, "array": model[0].weight.data}[source]
    path = tmp_path / "filters.png"
    fig = plot.plot_filters(arg, path=path)
    assert len(fig.axes) == 6 and path.stat().st_size > 0


def test_plot_filters_max_filters_and_channel():
    conv = nn.Conv2d(3, 10, 5, rng=0)
    fig = plot.plot_filters(conv, channel=2, max_filters=4)
    assert len(fig.axes) == 4 and "input channel 2" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="'channel' parameter of plot_filters"):
        plot.plot_filters(conv, channel=3)
    with pytest.raises(ValueError, match="'max_filters' parameter of plot_filters must be an int >= 1"):
        plot.plot_filters(conv, max_filters=0)


def test_plot_filters_refuses_a_model_without_conv_weights():
    with pytest.raises(ValueError, match="no 4-D convolution weight"):
        plot.plot_filters(nn.Linear(4, 2, rng=0))
    with pytest.raises(ValueError, match="4-D weight array"):
        plot.plot_filters(np.zeros((3, 4)))


@pytest.mark.parametrize("layer, maps", [(0, 6), ("1", 6), (2, 6), (3, 5), (-3, 5)])
def test_plot_feature_maps_input_plus_one_axis_per_channel(layer, maps, tmp_path):
    model = _convnet()
    path = tmp_path / "maps.png"
    fig = plot.plot_feature_maps(model, IMAGE, layer=layer, path=path)
    assert len(fig.axes) == 1 + maps and path.stat().st_size > 0


def test_plot_feature_maps_accepts_the_layer_object_and_image_layouts():
    model = _convnet()
    for image in (IMAGE, IMAGE[None], IMAGE[0]):  # (C, H, W), (1, C, H, W), (H, W)
        assert len(plot.plot_feature_maps(model, image, layer=model[3], max_maps=3).axes) == 4


def test_plot_feature_maps_leaves_the_model_untouched():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, rng=0), nn.BatchNorm2d(2), nn.ReLU())
    before = {k: v.copy() for k, v in model.state_dict().items()}
    plot.plot_feature_maps(model, IMAGE, layer=1)
    assert model.training and all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_plot_feature_maps_bad_layer_says_which_exist():
    model = _convnet()
    with pytest.raises(ValueError, match=r"must name one of the model's layers: 0 \(Conv2d\)"):
        plot.plot_feature_maps(model, IMAGE, layer=9)
    with pytest.raises(ValueError, match="choose a layer whose output is"):
        plot.plot_feature_maps(model, IMAGE, layer=5)  # Linear: (1, 2)
    with pytest.raises(TypeError, match="'layer' parameter"):
        plot.plot_feature_maps(model, IMAGE, layer=1.5)
    with pytest.raises(ValueError, match="expected one image"):
        plot.plot_feature_maps(model, np.zeros((2, 1, 12, 12)))
