"""dlenv: checks that a host's NVIDIA driver, GPUs, CUDA and deep-learning frameworks work together."""

__version__ = "0.1.0"
