"""A small generated-style program: trains a model and saves placeholders."""
import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

import runtimeBridge
import speedPrediction2

data = speedPrediction2.make_data(200)
runtimeBridge.save_placeholder("dataset", data)

model = LinearRegression().fit(data[["distance", "slope"]], data["speed"])
runtimeBridge.save_placeholder("model", model)
runtimeBridge.save_placeholder("coefficients", {"distance": float(model.coef_[0]), "slope": float(model.coef_[1])})

score = model.score(data[["distance", "slope"]], data["speed"])
print(f"trained on {len(data)} rows, R^2 = {score:.3f}")
