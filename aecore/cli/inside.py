"""Inside the network from the shell: every layer's activations for one sample, and the first layer's weights."""
from __future__ import annotations

import json
from pathlib import Path

from .files import data_json, load_run, run_and_data
from .options import run_options


def add_commands(sub) -> None:
    """Register activations and filters."""
    s = sub.add_parser("activations", help="every layer's activations for one sample to .npz, in network order "
                                           "(input first, reconstruction last)")
    run_options(s)
    s.add_argument("--index", type=int, required=True, help="the sample's row in the split")
    s.add_argument("--split", choices=("test", "train"), default="test")
    s.add_argument("--seed", type=int, help="a VAE: draw z from q(z|x) with this seed (default: z is the mean)")
    s.add_argument("--out", required=True, type=Path)
    s.set_defaults(func=cmd_activations)

    s = sub.add_parser("filters", help="the first layer's weights of every unit as one picture grid (.png)")
    s.add_argument("run", type=Path, help="run folder (or a .zip of one)")
    s.add_argument("--device", default="cpu")
    s.add_argument("--out", required=True, type=Path)
    s.set_defaults(func=cmd_filters)


def cmd_activations(args) -> int:
    import numpy as np

    from ..activations import layer_activations

    run, data, same = run_and_data(args)
    x, y = (data.x_test, data.y_test) if args.split == "test" else (data.x_train, data.y_train)
    if not 0 <= args.index < len(x):
        raise ValueError(f"--index must be 0..{len(x) - 1} for the {args.split} split of {data.name}, got {args.index}")
    layers = layer_activations(run.model, x[args.index], None if y is None else int(y[args.index]), args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "wb") as f:   # np.savez(str) would append .npz to other names
        np.savez(f, **layers)
    print(json.dumps({"out": str(args.out), "index": args.index, "split": args.split, "dataset": data.name,
                      "layers": [{"name": name, "shape": list(a.shape)} for name, a in layers.items()],
                      "data": data_json(data, 1, split=args.split, same_as_training=same)}))
    return 0


def cmd_filters(args) -> int:
    from ..activations import filter_grid, first_layer_weights
    from ..imaging import png_bytes

    run = load_run(args.run, args.device)
    grid = filter_grid(run.model)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(png_bytes(grid, scale=2))
    print(json.dumps({"out": str(args.out), "units": len(first_layer_weights(run.model)),
                      "unit_shape": list(first_layer_weights(run.model).shape[1:]), "size": list(grid.shape[:2])}))
    return 0
