import numpy as np
import pandas as pd


def make_data(n, seed=7):
    """A synthetic data set: speed falls with slope and rises with distance."""
    rng = np.random.default_rng(seed)
    distance = rng.uniform(1, 20, n)
    slope = rng.normal(0, 3, n)
    speed = 12 + 0.4 * distance - 0.9 * slope + rng.normal(0, 0.5, n)
    return pd.DataFrame({"distance": distance, "slope": slope, "speed": speed})
