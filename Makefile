# kvbm4j: `make run` builds (when a source changed) and runs the demo; `make test` runs every test.
# Needs only a JDK (17+), Maven and make. Extra demo options: make run ARGS="--requests 5000 --seed 7".
# Performance (docs/PERF.md; the perf targets also need python3):
#   make bench           the whole JMH suite; rewrites the generated tables of docs/PERF.md
#                        (a subset: make bench BENCH='MatchBenchmark' JMH_ARGS='-f 1 -wi 2 -i 3')
#   make bench-quick     the perf gate's quick set, measured and printed (about 3 minutes)
#   make perf-gate       the quick set compared with perf/baseline.json; fails on a regression
#   make perf-baseline   measures the quick set RUNS times (default 3) and rewrites perf/baseline.json
#   make bench-remote    G4 on Redis vs redis-benchmark and lookup vs PING (ARGS go to RemoteBench)
#   make bench-replay    replay at production scale: one policy end to end, 4 policies x 8 capacities (1-2 min)
# Runtime connectors (docs/CONNECTORS.md; not in make test: each installs a multi-GB runtime from PyPI once):
#   make test-vllm       vLLM's KV connector against vLLM 0.33.0's classes and a real kvbm4j serve (.venv-vllm)
#   make test-sglang     SGLang's HiCache storage backend against SGLang 0.5.23 and a real kvbm4j serve (.venv-sglang)

MVN ?= mvn
PYTHON ?= python3
ARGS ?=
BENCH ?= io.kvbm4j.perf
JMH_ARGS ?=
RUNS ?= 3

# Everything `mvn package` reads: the poms, the default configuration and each module's main sources.
SOURCES := $(shell find pom.xml config */pom.xml */src/main -type f 2>/dev/null)
# Written after a successful package; `mvn clean` removes it with the rest of target/.
BUILT := tools/target/.kvbm4j-built
# The benchmarks' jar, and what it is built from (perf and the modules it depends on).
PERF_JAR := perf/target/kvbm4j-perf.jar
PERF_SOURCES := $(shell find pom.xml config tiers/pom.xml gds/pom.xml engine/pom.xml journal/pom.xml \
	client/pom.xml server/pom.xml observe/pom.xml remote/pom.xml perf/pom.xml tiers/src/main gds/src/main \
	engine/src/main journal/src/main client/src/main server/src/main observe/src/main remote/src/main perf/src/main \
	-type f 2>/dev/null)

.PHONY: build run deps test clean perf-build bench bench-quick perf-gate perf-baseline bench-disk bench-remote bench-replay fuzz soak \
	soak-service load test-vllm test-sglang

build: $(BUILT)

$(BUILT): $(SOURCES)
	$(MVN) -B -q -DskipTests package
	@touch $@

run: build
	bin/kvbm4j demo $(ARGS)

# What the tests need beyond a JDK, Maven and make (servers, Python packages), installed when missing:
# every deps/*.sh, in name order; each is idempotent and says what it installs.
deps:
	@for f in deps/*.sh; do [ -e "$$f" ] || continue; bash "$$f" || exit 1; done

test: deps
	$(MVN) -B test

clean:
	$(MVN) -B -q clean

# The connectors' tests start `bin/kvbm4j serve` themselves (python/connector_tests/service.py).
VLLM_PACKAGE ?= vllm==0.33.0
SGLANG_PACKAGE ?= sglang==0.5.23
PYTEST_ARGS ?=

test-vllm: build
	bash python/connector_tests/install-venv.sh .venv-vllm '$(VLLM_PACKAGE)'
	.venv-vllm/bin/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) python/connector_tests/vllm

test-sglang: build
	bash python/connector_tests/install-venv.sh .venv-sglang '$(SGLANG_PACKAGE)'
	.venv-sglang/bin/python -m pytest -q -p no:cacheprovider -W ignore::UserWarning $(PYTEST_ARGS) \
		python/connector_tests/sglang

perf-build: $(PERF_JAR)

$(PERF_JAR): $(PERF_SOURCES)
	$(MVN) -B -q -pl perf -am package -DskipTests
	@touch $@

bench: perf-build
	$(PYTHON) perf/bench.py --include '$(BENCH)' -- $(JMH_ARGS)

bench-quick: perf-build
	$(PYTHON) perf/gate.py quick

perf-gate: perf-build
	$(PYTHON) perf/gate.py check

perf-baseline: perf-build
	$(PYTHON) perf/gate.py baseline --runs $(RUNS)

# G4 remote tier (Redis) vs redis-benchmark, same server, same run (installs redis-server if missing); docs/PERF.md.
bench-remote:
	perf/bench-remote.sh $(ARGS)

# Replay of a generated production-shaped trace (issue 16): wall, CPU seconds, peak RSS, load; docs/PERF.md.
bench-replay:
	perf/bench-replay.sh

# G3 vs fio (installs fio if missing): the disk tier alone and the engine path (G2→G3 write-back, G3→G2→G1
# onboards through the transfer engine), about 5 minutes; ARGS=--full adds the long matrix and the 1 M-block
# restart time; see docs/PERF.md.
bench-disk:
	perf/bench-disk.sh $(ARGS)

# Torture (docs/RELIABILITY.md); short versions of both run in make test.
#   make fuzz [FUZZ_SECONDS=60]          every fuzz target for FUZZ_SECONDS each (seeded mutation, corpus in
#                                        torture/src/test/resources/corpus; findings in torture/target/fuzz-findings)
#   make soak [CYCLES=100] [SECONDS=0] [KILL_MS=1500] [SEED=1] [SOAK_LIGHT=true]
#                                        SIGKILL/warm-restart cycles of the engine with G2+G3 (SECONDS > 0 caps
#                                        the run's wall time); report in torture/target/soak-report.txt
#   make soak-service [SERVICE_CYCLES=20] [SERVICE_CLIENTS=4] [SERVICE_KILL_MS=3000] [SEED=1]
#                                        kvbm4j serve SIGKILLed and restarted warm under Python client processes that
#                                        are SIGKILLed mid-STORE/LOAD too; report in torture/target/service-soak-report.txt
#   make load [LOAD_CLIENTS=12] [LOAD_SECONDS=60]
#                                        the service under LOAD_CLIENTS client processes at full speed, every block
#                                        checked, RSS sampled; report in torture/target/service-load-report.txt
FUZZ_SECONDS ?= 60
CYCLES ?= 100
SECONDS ?= 0
KILL_MS ?= 1500
SEED ?= 1
SOAK_LIGHT ?= true
SERVICE_CYCLES ?= 20
SERVICE_CLIENTS ?= 4
SERVICE_KILL_MS ?= 3000
LOAD_CLIENTS ?= 12
LOAD_SECONDS ?= 60
TORTURE := $(MVN) -B -pl torture -am test -Dsurefire.failIfNoSpecifiedTests=false

fuzz:
	$(TORTURE) -Dtest='*FuzzTest' -Dkvbm4j.fuzz.seconds=$(FUZZ_SECONDS) -Dkvbm4j.fuzz.iterations=1000000000

soak:
	$(TORTURE) -Dtest=EngineSoakTest -Dkvbm4j.soak.cycles=$(CYCLES) -Dkvbm4j.soak.seconds=$(SECONDS) \
		-Dkvbm4j.soak.kill-ms=$(KILL_MS) -Dkvbm4j.soak.seed=$(SEED) -Dkvbm4j.soak.light=$(SOAK_LIGHT)
	@cat torture/target/soak-report.txt

soak-service:
	$(TORTURE) -Dtest='ServiceSoakTest#theServiceKilled*' -Dkvbm4j.service.cycles=$(SERVICE_CYCLES) \
		-Dkvbm4j.service.clients=$(SERVICE_CLIENTS) -Dkvbm4j.service.kill-ms=$(SERVICE_KILL_MS) -Dkvbm4j.soak.seed=$(SEED)
	@cat torture/target/service-soak-report.txt

load:
	$(TORTURE) -Dtest='ServiceSoakTest#theServiceUnderMany*' -Dkvbm4j.load.clients=$(LOAD_CLIENTS) \
		-Dkvbm4j.load.seconds=$(LOAD_SECONDS)
	@cat torture/target/service-load-report.txt
