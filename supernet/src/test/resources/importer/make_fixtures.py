"""Writes the import fixtures of ImporterTest with real timm (1.0.29) and PyTorch (2.13, CPU).

Run once; the files it writes are committed, so the tests need neither:
    python make_fixtures.py   (in a virtualenv with torch, timm, safetensors, numpy)

Every tensor is random (norms and biases too), so a wrong transpose or a swapped q/k/v shows.
"""
import numpy as np
import torch
import timm
from timm.models.vision_transformer import VisionTransformer, _load_weights
from timm.layers import resample_abs_pos_embed
from safetensors.torch import save_file

torch.manual_seed(0)
rng = np.random.default_rng(0)
D, HEADS, DEPTH, CLASSES, IMG, PATCH = 48, 3, 2, 5, 32, 16


def tiny(**kw):
    args = dict(img_size=IMG, patch_size=PATCH, embed_dim=D, depth=DEPTH, num_heads=HEADS, num_classes=CLASSES)
    args.update(kw)
    m = VisionTransformer(**args).eval()
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn_like(p) * 0.2)
    return m


images = torch.randn(2, 3, IMG, IMG)
expected = {"images": images}

# 1. A timm ViT saved as the hub does: timm names, metadata {"format": "pt"} only; F32, F16, BF16.
model = tiny()
for dtype, tag in [(torch.float32, "f32"), (torch.float16, "f16"), (torch.bfloat16, "bf16")]:
    state = {k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items()}
    save_file(state, f"timm-tiny-{tag}.safetensors", metadata={"format": "pt"})
    rounded = tiny()
    rounded.load_state_dict({k: v.float() for k, v in state.items()})
    with torch.no_grad():
        expected[f"logits_timm_{tag}"] = rounded(images)

# 2. A Google original-layout .npz (as ViT-B_16.npz), loaded by timm's own _load_weights.
def google_arrays(classes, pre_logits):
    a = {}
    r = lambda *s: (rng.standard_normal(s) * 0.2).astype(np.float32)
    a["embedding/kernel"] = r(PATCH, PATCH, 3, D)
    a["embedding/bias"] = r(D)
    a["cls"] = r(1, 1, D)
    a["Transformer/posembed_input/pos_embedding"] = r(1, (IMG // PATCH) ** 2 + 1, D)
    for i in range(DEPTH):
        b = f"Transformer/encoderblock_{i}/"
        for ln in ("LayerNorm_0", "LayerNorm_2"):
            a[b + ln + "/scale"] = 1 + r(D)
            a[b + ln + "/bias"] = r(D)
        for n in ("query", "key", "value"):
            a[b + f"MultiHeadDotProductAttention_1/{n}/kernel"] = r(D, HEADS, D // HEADS)
            a[b + f"MultiHeadDotProductAttention_1/{n}/bias"] = r(HEADS, D // HEADS)
        a[b + "MultiHeadDotProductAttention_1/out/kernel"] = r(HEADS, D // HEADS, D)
        a[b + "MultiHeadDotProductAttention_1/out/bias"] = r(D)
        a[b + "MlpBlock_3/Dense_0/kernel"] = r(D, 4 * D)
        a[b + "MlpBlock_3/Dense_0/bias"] = r(4 * D)
        a[b + "MlpBlock_3/Dense_1/kernel"] = r(4 * D, D)
        a[b + "MlpBlock_3/Dense_1/bias"] = r(D)
    a["Transformer/encoder_norm/scale"] = 1 + r(D)
    a["Transformer/encoder_norm/bias"] = r(D)
    a["head/kernel"] = r(D, classes)
    a["head/bias"] = r(classes)
    if pre_logits:
        a["pre_logits/kernel"] = r(D, D)
        a["pre_logits/bias"] = r(D)
    return a


np.savez("google-tiny.npz", **google_arrays(CLASSES, False))
loaded = tiny()
_load_weights(loaded, "google-tiny.npz")
with torch.no_grad():
    expected["logits_npz"] = loaded(images)
np.savez_compressed("google-tiny-prelogits.npz", **google_arrays(7, True))

# 3. timm's resample_abs_pos_embed (bicubic, antialias) up and down a 14 x 14 grid.
pos = torch.randn(1, 1 + 14 * 14, 8)
expected["pos_14"] = pos
for side in (24, 7, 5):
    expected[f"pos_{side}"] = resample_abs_pos_embed(pos, new_size=[side, side], num_prefix_tokens=1)

# 4. Variants the ViT here does not compute, saved as timm saves them.
variants = {
    "layerscale": dict(init_values=1e-5),
    "registers": dict(reg_tokens=2),
    "avgpool": dict(global_pool="avg", fc_norm=True),
    "noclass": dict(class_token=False, global_pool="avg"),
}
for name, kw in variants.items():
    save_file({k: v.contiguous() for k, v in tiny(depth=1, **kw).state_dict().items()},
              f"variant-{name}.safetensors", metadata={"format": "pt"})

save_file({k: v.contiguous() for k, v in expected.items()}, "expected.safetensors",
          metadata={"timm": timm.__version__, "torch": torch.__version__})
