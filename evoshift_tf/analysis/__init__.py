"""Why poisoned models fail (Sec. VI, VIII-A, VIII-G-1): Grad-CAM maps and the SGD<->Adam loss
surface. Each module is pure library code; the studies under ``studies/`` drive them."""
