"""Training: data, degradations (through restorer.physics), the loop, evaluation and export
of weights with their model card. Nothing imports this package."""
