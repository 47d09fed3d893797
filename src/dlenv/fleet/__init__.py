"""The fleet: host reports of many nodes (collected by Slurm, Dask or Kubernetes), grouped into pools of identical
facts, and one answer for all of them (docs/fleet.md)."""
