"""int8 inference on CPU that agrees with fp32: every Linear layer as an int8 matrix product with weights
quantised per output channel and activations per token (each row its own scale), after a SmoothQuant-style
per-channel scaling calibrated on train text.

torch's dynamic quantisation (``torch.ao``) gives a whole batch of activations one scale, so one outlier
channel of one token coarsens every other value; on the default model it changed 5% of word labels. Here
each token row is quantised on its own, and the input channels whose activations run large (measured
once, on train windows, by :func:`calibrate` and saved beside the model as ``int8_calibration.safetensors``)
are divided down while the weights' matching columns are multiplied up: ``x @ W.T == (x / s) @ (W * s).T``
exactly, with ``s_j = sqrt(max|x_j| / max|W_:,j|)`` (alpha 0.5), so both sides quantise evenly. Figures:
``benchmarks/int8.py`` and ``docs/benchmarks.md``.
"""

from __future__ import annotations

import copy
import re
from contextlib import contextmanager
from pathlib import Path

CALIBRATION_FILE = "int8_calibration.safetensors"  # per Linear layer: the max |input| of each channel
ALPHA = 0.5  # how much of an activation outlier moves into the weights (SmoothQuant's migration strength)
OUTLIERS = 0  # per layer, the input channels with the largest calibrated |x| kept out of int8, in fp32
RECHECK_MARGIN = 0.05  # a sentence with an int8 event probability this close to the threshold is rerun in fp32


def int8_linear_class():
    import torch

    class Int8Linear(torch.nn.Module):
        """``Linear`` as ``torch._int_mm`` of per-token int8 activations and per-channel int8 weights; the
        fp32 weights stay too, for :func:`exact_layers` (so a layer holds 1.25x its fp32 size, not 0.25x)."""

        is_int8 = True

        def __init__(self, linear, activation_max=None, alpha: float | None = ALPHA, outliers: int = OUTLIERS):
            super().__init__()
            self.exact = False
            self.register_buffer("exact_weight", linear.weight.detach().float())
            weight = self.exact_weight.clone()
            weight, inverse, index = _prepare(weight, activation_max, alpha, outliers)
            self.register_buffer("inverse_smooth", inverse)
            self.register_buffer("outlier_index", index)
            if index is not None:
                self.register_buffer("outlier_weight_t", self.exact_weight[:, index].t().contiguous())  # (k, out)
            scale = weight.abs().amax(1).clamp(min=1e-8) / 127  # (out,)
            quantised = torch.round(weight / scale[:, None]).clamp(-127, 127).to(torch.int8)
            self.register_buffer("weight_t", quantised.t().contiguous())  # (in, out), as _int_mm takes it
            self.register_buffer("weight_scale", scale)
            self.register_buffer("bias", None if linear.bias is None else linear.bias.detach().float())
            self.in_features, self.out_features = linear.in_features, linear.out_features

        def forward(self, x):
            if self.exact:
                return torch.nn.functional.linear(x.float(), self.exact_weight, self.bias).to(x.dtype)
            rows = x.reshape(-1, self.in_features).float()  # (tokens, in)
            exact = None
            if self.outlier_index is not None:
                exact = rows.index_select(1, self.outlier_index) @ self.outlier_weight_t
            if self.inverse_smooth is not None:
                rows = rows * self.inverse_smooth
            scale = rows.abs().amax(1, keepdim=True).clamp(min=1e-8) / 127  # (tokens, 1)
            quantised = torch.round(rows / scale).clamp(-127, 127).to(torch.int8)
            out = torch._int_mm(quantised, self.weight_t).float() * scale * self.weight_scale
            if exact is not None:
                out = out + exact
            if self.bias is not None:
                out = out + self.bias
            return out.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    return Int8Linear


def _prepare(weight, activation_max, alpha: float | None, outliers: int) -> tuple:
    """(the weight to round to int8, the per-channel factor for the activations or None, the outlier channels
    or None): smoothed when calibrated; the ``outliers`` channels of largest calibrated |x| (LLM.int8()'s
    decomposition, the channels fixed by calibration) zeroed on both sides, for an fp32 product of their own."""
    if activation_max is None:
        return weight, None, None
    smooth = _smoothing(weight, activation_max, alpha)
    inverse, index = 1.0 / smooth, None
    if outliers:
        index = activation_max.float().topk(min(outliers, weight.shape[1])).indices.sort().values
        weight[:, index] = 0.0
        inverse[index] = 0.0  # the int8 product leaves those channels out (nor do they set its scale)
    return weight * smooth[None, :], inverse, index


def is_quantized(model) -> bool:
    """Whether ``model`` holds int8 layers of :func:`quantize_int8`."""
    return model is not None and any(getattr(module, "is_int8", False) for module in model.modules())


@contextmanager
def exact_layers(*models):
    """Within the block, the int8 layers of ``models`` compute in fp32 with their original weights."""
    layers = [m for model in models if model is not None for m in model.modules() if getattr(m, "is_int8", False)]
    before = [layer.exact for layer in layers]
    for layer in layers:
        layer.exact = True
    try:
        yield
    finally:
        for layer, exact in zip(layers, before):
            layer.exact = exact


def _smoothing(weight, activation_max, alpha: float | None):
    """Per input channel, ``s_j = max|x_j|^alpha / max|W_:,j|^(1 - alpha)``; all ones when ``alpha`` is None."""
    import torch

    if alpha is None:
        return torch.ones(weight.shape[1])
    columns = weight.abs().amax(0).clamp(min=1e-5)
    return (activation_max.float().clamp(min=1e-5) ** alpha / columns ** (1 - alpha)).clamp(min=1e-5)


def quantize_int8(
    model,
    calibration: dict | None = None,
    alpha: float | None = ALPHA,
    inplace: bool = False,
    heads: bool = False,
    outliers: int = OUTLIERS,
):
    """``model`` (a copy unless ``inplace``) with the encoder's ``Linear`` layers replaced by int8 ones (and the
    task heads too if ``heads``: they cost nothing to keep in fp32, and the event head's probabilities sit
    next to a threshold); ``calibration`` (from :func:`calibrate`) turns on the per-channel smoothing."""
    import torch

    int8_linear = int8_linear_class()
    quantized = model if inplace else copy.deepcopy(model)
    for parent_name, parent in list(quantized.named_modules()):
        for name, child in list(parent.named_children()):
            full = f"{parent_name}.{name}" if parent_name else name
            if isinstance(child, torch.nn.Linear) and (heads or full.startswith("bert.")):
                setattr(parent, name, int8_linear(child, (calibration or {}).get(full), alpha, outliers))
    quantized._is_quantized_dynamic = True
    return quantized


def calibrate(component, features: list[dict], batch_size: int = 32) -> dict:
    """Per ``Linear`` layer of the component's model, the max |input| of each channel over ``features``."""
    import torch

    stats: dict = {}

    def record(name):
        def hook(module, inputs, output):
            peak = inputs[0].detach().abs().reshape(-1, inputs[0].shape[-1]).amax(0).float().cpu()
            stats[name] = torch.maximum(stats[name], peak) if name in stats else peak

        return hook

    hooks = [
        module.register_forward_hook(record(name))
        for name, module in component.model.named_modules()
        if isinstance(module, torch.nn.Linear)
    ]
    training = component.model.training
    component.model.eval()  # dropout off: the activations inference will see
    try:
        component.logits(features, batch_size)
    finally:
        component.model.train(training)
        for hook in hooks:
            hook.remove()
    return stats


def save_calibration(calibration: dict, directory: Path) -> None:
    from safetensors.torch import save_file

    save_file({name: tensor.contiguous() for name, tensor in calibration.items()}, str(directory / CALIBRATION_FILE))


def write_calibration(component, train_features: list[dict], directory: Path, windows: int = 256) -> None:
    """Calibrate on the first ``windows`` train windows and save beside the model (training calls this)."""
    component = copy.copy(component)
    component.device = str(next(component.model.parameters()).device)  # where training left the model
    save_calibration(calibrate(component, train_features[:windows]), Path(directory))


def read_calibration(directory: Path) -> dict | None:
    """The saved calibration, or None (int8 then runs without smoothing); a damaged file is a ValueError."""
    from safetensors.torch import load_file

    path = Path(directory) / CALIBRATION_FILE
    try:
        return load_file(str(path)) if path.exists() else None
    except Exception as err:  # safetensors raises several types for damaged files
        raise ValueError(f"{path}: damaged calibration file ({str(err).splitlines()[0][:120]})") from None


def quantize_dynamic(model, per_channel: bool = True, keep_fp32: str | None = r"layer\.\d+\.output\.dense$"):
    """torch's dynamic int8 (one activation scale per batch), for comparison in ``benchmarks/int8.py``."""
    import torch
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig

    qconfig = per_channel_dynamic_qconfig if per_channel else default_dynamic_qconfig
    spec = {
        name: qconfig
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and not (keep_fp32 and re.search(keep_fp32, name))
    }
    quantized = torch.ao.quantization.quantize_dynamic(model, spec, dtype=torch.qint8)
    quantized._is_quantized_dynamic = True
    return quantized
