"""medtune: SFT vs DPO for clinical tasks, the Savage et al. 2025 study as a tool."""
__version__ = "0.1.0"
