"""The save/load registry: files name types by qualified name, built-ins come from a fixed
table, anything else must be named or registered, and a learner's class never replaces a
built-in."""
import json

import numpy as np
import pytest

import verigrad as vg
from verigrad import modelfile as io


@pytest.fixture(autouse=True)
def empty_registry(monkeypatch):
    """Each test starts with nothing registered and leaves nothing registered behind."""
    monkeypatch.setattr(io, "_REGISTERED", {vg.Layer: {}, vg.Loss: {}})


class Scale(vg.Layer):
    """A = s·Z for a constant s (no parameters)."""

    def __init__(self, s=1.0):
        super().__init__()
        self.s = s

    def forward(self, Z, training=False):
        return self.s * Z

    def backward(self, dA):
        return self.s * dA

    def get_config(self):
        return {"s": self.s}


def small(*middle, loss=None):
    return vg.Sequential([vg.Dense(3, 4), *middle, vg.Dense(4, 2)],
                         loss=loss or vg.SoftmaxCrossEntropy(), dtype="float64", seed=0)


def record(path):
    with np.load(path, allow_pickle=False) as data:
        return json.loads(str(data["__architecture__"]))


def test_files_record_qualified_names(tmp_path):
    small(vg.Sigmoid(), Scale(2.0)).save(tmp_path / "m.npz")
    config = record(tmp_path / "m.npz")
    assert config["version"] == 2
    assert [entry["type"] for entry in config["layers"]] == [
        "verigrad.layers.Dense", "verigrad.layers.Sigmoid", f"{__name__}.Scale",
        "verigrad.layers.Dense"]
    assert config["loss"]["type"] == "verigrad.losses.SoftmaxCrossEntropy"


def test_a_learners_class_named_like_a_builtin_changes_nothing(tmp_path):
    small(vg.Sigmoid()).save(tmp_path / "m.npz")

    class Sigmoid(vg.Layer):  # a learner's own, with another formula
        elementwise = True

        def forward(self, Z, training=False):
            return np.tanh(Z)

        def backward(self, dA):
            return dA

    vg.register_layer(Sigmoid)
    loaded = vg.load(tmp_path / "m.npz")
    assert type(loaded.layers[1]) is vg.Sigmoid
    with pytest.raises(ValueError, match="'Sigmoid', a built-in layer: .* Key your class by the "
                                         "name the file records for it"):
        vg.load(tmp_path / "m.npz", custom_layers={"Sigmoid": Sigmoid})


def test_a_custom_layer_loads_only_when_named_or_registered(tmp_path):
    X = np.random.default_rng(0).standard_normal((3, 5))
    model = small(vg.ReLU(), Scale(2.5))
    model.save(tmp_path / "m.npz")
    with pytest.raises(ValueError) as err:
        vg.load(tmp_path / "m.npz")
    assert str(err.value) == (
        f"{tmp_path / 'm.npz'} has a layer of type '{__name__}.Scale', which is not built "
        f"into verigrad: pass vg.load(path, custom_layers={{'Scale': YourClass}}) or call "
        f"vg.register_layer(YourClass) before loading")
    for custom in ({"Scale": Scale}, {f"{__name__}.Scale": Scale}, [Scale]):
        loaded = vg.load(tmp_path / "m.npz", custom_layers=custom)
        assert loaded.layers[2].s == 2.5
        np.testing.assert_array_equal(loaded.forward(X), model.forward(X))
    assert vg.register_layer(Scale) is Scale
    assert vg.load(tmp_path / "m.npz").layers[2].s == 2.5


def test_a_custom_layer_without_get_config_refuses_to_save(tmp_path):
    class Shift(vg.Layer):
        def __init__(self, c):
            super().__init__()
            self.c = c

        def forward(self, Z, training=False):
            return Z + self.c

        def backward(self, dA):
            return dA

    with pytest.raises(ValueError, match=r"Shift takes constructor arguments \(c\) but does not "
                                         r"define get_config\(\).*\{'c': self\.c\}"):
        small(Shift(3.0)).save(tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_a_custom_loss_needs_naming_too(tmp_path):
    class Half(vg.MSE):
        """MSE at half the scale (a made-up loss)."""

        def forward(self, Z, Y):
            return super().forward(Z, Y) / 2

        def backward(self):
            return super().backward() / 2

    small(loss=Half()).save(tmp_path / "m.npz")
    with pytest.raises(ValueError, match="custom_losses="):
        vg.load(tmp_path / "m.npz")
    assert type(vg.load(tmp_path / "m.npz", custom_losses=[Half]).loss) is Half


def test_files_of_the_first_format_still_load(tmp_path):
    """Version 1 recorded bare class names; the built-ins among them load as before."""
    model = small(vg.Tanh())
    config = record_of(model)
    config["version"] = 1
    for entry in config["layers"] + [config["loss"]]:
        entry["type"] = entry["type"].rsplit(".", 1)[1]
    np.savez(tmp_path / "old.npz", __architecture__=np.array(json.dumps(config)),
             **{k: np.asarray(v) for k, v in model.params.items()})
    loaded = vg.load(tmp_path / "old.npz")
    assert [type(layer) for layer in loaded.layers] == [vg.Dense, vg.Tanh, vg.Dense]
    assert all(np.array_equal(loaded.params[k], model.params[k]) for k in model.params)


def record_of(model):
    return json.loads(json.dumps(model.get_config()))


def test_defining_a_layer_class_registers_nothing():
    class Dense(vg.Layer):  # noqa: F841 -- defined, never registered
        def forward(self, A, training=False):
            return A

        def backward(self, dA):
            return dA

    assert io.layer_types() == io.BUILTIN_LAYERS
    assert io.BUILTIN_LAYERS["verigrad.layers.Dense"] is vg.Dense


def test_a_subclass_whose_constructor_differs_from_its_config_is_refused_at_save(tmp_path):
    class Scaled(vg.Dense):  # inherits Dense.get_config, which does not rebuild it
        def __init__(self, n_in, n_out, scale=2.0):
            super().__init__(n_in, n_out)
            self.scale = scale

    model = vg.Sequential([Scaled(4, 3)], loss=vg.MSE())
    with pytest.raises(ValueError, match=r"Scaled.get_config\(\).*Scaled.__init__"):
        model.save(tmp_path / "m.npz")


def test_a_subclass_of_a_built_in_layer_loads_when_named(tmp_path):
    class Wider(vg.Dense):
        def __init__(self, n_in, n_out, extra=1):
            super().__init__(n_in, n_out + extra)
            self.extra, self.n_out_asked = extra, n_out

        def get_config(self):
            return {"n_in": self.params["W"].shape[1], "n_out": self.n_out_asked,
                    "extra": self.extra}

    class Norm(vg.LayerNorm):
        pass

    model = vg.Sequential([Wider(4, 2, extra=1), Norm(3)], loss=vg.MSE())
    model.save(tmp_path / "m.npz")
    loaded = vg.load(tmp_path / "m.npz", custom_layers=[Wider, Norm])
    X = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_array_equal(loaded.forward(X), model.forward(X))
