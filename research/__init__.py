"""One-off experiments that taught us something: scripts, their results (results/) and what
they found (README.md). The product never imports or reads anything here."""
