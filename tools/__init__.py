"""The project's own tools, not part of what a municipality installs (the package is jobs/notices).

bench: the benchmark (`make bench`); sample: the synthetic sample registers in data/ (`make sample`);
synth: the synthetic town they are made from, with the test oracle (synth/oracle.py).
Run them from the project's folder: `.venv/bin/python -m tools.bench --help`,
`.venv/bin/python -m tools.sample --help`. They use the package; the package never uses them.
"""
