# kvbm4j: `make run` builds (when a source changed) and runs the demo; `make test` runs every test.
# Needs only a JDK (17+), Maven and make. Extra demo options: make run ARGS="--requests 5000 --seed 7".

MVN ?= mvn
ARGS ?=

# Everything `mvn package` reads: the poms, the default configuration and each module's main sources.
SOURCES := $(shell find pom.xml config */pom.xml */src/main -type f 2>/dev/null)
# Written after a successful package; `mvn clean` removes it with the rest of target/.
BUILT := tools/target/.kvbm4j-built

.PHONY: build run test clean bench-disk

build: $(BUILT)

$(BUILT): $(SOURCES)
	$(MVN) -B -q -DskipTests package
	@touch $@

run: build
	bin/kvbm4j demo $(ARGS)

test:
	$(MVN) -B test

clean:
	$(MVN) -B -q clean

# G3 disk tier vs fio (installs fio if missing) and restart time with 1 M blocks; see docs/PERF.md.
bench-disk:
	perf/bench-disk.sh $(ARGS)
