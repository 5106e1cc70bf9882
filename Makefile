# The two commands of the README:  `make run`  and  `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/screw_brayton_cooldown.toml
NAME := $(basename $(notdir $(SCENARIO)))

.PHONY: run test fmus bench clean

$(BIN)/cryocosim: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test,dask]"
	touch $@

run: $(BIN)/cryocosim
	$(BIN)/cryocosim run $(SCENARIO) -o results/$(NAME).nc --plot results/$(NAME).png

test: $(BIN)/cryocosim
	$(BIN)/python -m pytest -q

# benchmark pages under docs/ (not part of the test suite): masters compared, adaptive steps,
# the screw-Brayton FMUs in three masters, the FMU launcher's cost per call (docs/fmi.md), the 4 K refrigerator's validation and speed
bench: $(BIN)/cryocosim
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/python docs/scripts/bench_masters.py
	$(BIN)/python docs/scripts/bench_adaptive.py
	$(BIN)/python docs/scripts/bench_fmu_masters.py
	$(BIN)/python docs/scripts/bench_launcher.py
	$(BIN)/python docs/scripts/fourk_validation.py

fmus: $(BIN)/cryocosim
	$(BIN)/cryocosim export --all -o build/fmus

clean:
	rm -rf $(VENV) build results .pytest_cache
