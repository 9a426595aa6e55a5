"""The Fourier-concentration thresholds shared by fourier-features and linf-role (Mohamadi+24 Sec. 4,
App. F: the construction's neurons each use one frequency). Their reasons are stated in
fourier_features' docstring, where the rules were fixed before the claims were run."""

SHARE = 0.5   # a neuron is concentrated when its top frequency class holds >= 1/2 of its energy
FRAC = 0.8    # "most neurons": the mass-weighted concentrated fraction
