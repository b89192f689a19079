"""Golden trajectories of PyTorch 1.13 optimizers, with and without gradient clipping.

Writes core/src/test/resources/golden/optim.json. Run with Debian's python (which has torch):
    /usr/bin/python3 core/src/test/python/gen_optim_golden.py

Each case: a few parameter tensors, a target per tensor and per-step noise; at every step the gradient
is g = (p - target) * 2 + noise[t], computed in float32 (the Java test computes it the same way), then
optionally clipped, then the optimizer steps. The parameters after every step are recorded.
"""
import json
import os

import torch

STEPS = 25
SHAPES = [[4, 3], [3], [2, 2, 2]]


def case(name, opt, kwargs, clip=None, schedule=None, seed=0, noise_scale=1.0):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn(s, generator=g, dtype=torch.float32) for s in SHAPES]
    init = [p.clone() for p in params]
    targets = [torch.randn(s, generator=g, dtype=torch.float32) for s in SHAPES]
    noise = [[noise_scale * torch.randn(s, generator=g, dtype=torch.float32) for s in SHAPES] for _ in range(STEPS)]
    ps = [torch.nn.Parameter(p.clone()) for p in params]
    cls = getattr(torch.optim, opt)
    optimizer = cls(ps, **kwargs)
    scheduler = None
    if schedule is not None:
        kind, skw = schedule
        scheduler = getattr(torch.optim.lr_scheduler, kind)(optimizer, **skw)
    trajectory = []
    for t in range(STEPS):
        optimizer.zero_grad()
        for p, tgt, nz in zip(ps, targets, noise[t]):
            with torch.no_grad():
                p.grad = (p.detach() - tgt) * 2.0 + nz
        if clip is not None:
            if clip["kind"] == "norm":
                torch.nn.utils.clip_grad_norm_(ps, clip["max"], norm_type=clip["p"])
            else:
                torch.nn.utils.clip_grad_value_(ps, clip["max"])
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        trajectory.append([p.detach().reshape(-1).tolist() for p in ps])
    return {
        "name": name,
        "optimizer": opt,
        "kwargs": kwargs,
        # JSON has no infinity: the norm order is written as the string "inf" then.
        "clip": None if clip is None else {k: ("inf" if v == float("inf") else v) for k, v in clip.items()},
        "schedule": None if schedule is None else {"kind": schedule[0], **schedule[1]},
        "shapes": SHAPES,
        "init": [p.reshape(-1).tolist() for p in init],
        "target": [p.reshape(-1).tolist() for p in targets],
        "noise": [[n.reshape(-1).tolist() for n in step] for step in noise],
        "trajectory": trajectory,
    }


def main():
    cases = [
        case("sgd", "SGD", {"lr": 0.05}, seed=1),
        case("sgd_momentum_dampening_wd", "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}, seed=2),
        case("sgd_nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, seed=3),
        case("adam", "Adam", {"lr": 0.01}, seed=4),
        case("adam_wd", "Adam", {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.05}, seed=5),
        case("amsgrad", "Adam", {"lr": 0.01, "amsgrad": True}, seed=6),
        case("adamw", "AdamW", {"lr": 0.01}, seed=7),
        case("adamw_wd", "AdamW", {"lr": 0.02, "weight_decay": 0.1}, seed=8),
        case("rmsprop", "RMSprop", {"lr": 0.01}, seed=9),
        case("rmsprop_centered_momentum_wd", "RMSprop",
             {"lr": 0.005, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.01}, seed=10),
        case("adagrad", "Adagrad", {"lr": 0.1}, seed=11),
        case("adagrad_decay_init", "Adagrad",
             {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1, "weight_decay": 0.01}, seed=12),
        case("adadelta", "Adadelta", {}, seed=13),
        case("adadelta_wd", "Adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.01}, seed=14),
        # PyTorch 1.13's single-tensor NAdam has a bug (mu_product * mu * mu_next); the foreach path is right.
        case("nadam", "NAdam", {"lr": 0.01, "foreach": True}, seed=15),
        case("nadam_wd", "NAdam", {"lr": 0.01, "weight_decay": 0.01, "momentum_decay": 0.01, "foreach": True}, seed=16),
        case("adam_clip_norm", "Adam", {"lr": 0.01}, clip={"kind": "norm", "max": 1.0, "p": 2.0}, seed=17, noise_scale=3.0),
        case("sgd_momentum_clip_inf_norm", "SGD", {"lr": 0.02, "momentum": 0.9},
             clip={"kind": "norm", "max": 0.5, "p": float("inf")}, seed=18, noise_scale=3.0),
        case("sgd_clip_3_norm", "SGD", {"lr": 0.02}, clip={"kind": "norm", "max": 2.0, "p": 3.0}, seed=19, noise_scale=3.0),
        case("rmsprop_clip_value", "RMSprop", {"lr": 0.01}, clip={"kind": "value", "max": 0.5}, seed=20, noise_scale=3.0),
        case("sgd_momentum_steplr", "SGD", {"lr": 0.05, "momentum": 0.9}, schedule=("StepLR", {"step_size": 5, "gamma": 0.5}), seed=21),
        case("adam_cosine", "Adam", {"lr": 0.02}, schedule=("CosineAnnealingLR", {"T_max": 30, "eta_min": 0.001}), seed=22),
        case("adam_exponential", "Adam", {"lr": 0.02}, schedule=("ExponentialLR", {"gamma": 0.9}), seed=23),
    ]
    out = {"torch": torch.__version__, "steps": STEPS, "cases": cases}
    path = os.path.join(os.path.dirname(__file__), "..", "resources", "golden", "optim.json")
    with open(path, "w") as f:
        json.dump(out, f)
    print("wrote", os.path.normpath(path), len(cases), "cases")


if __name__ == "__main__":
    main()
