# Skiff: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
NPM ?= npm
SHARED_SPECS ?= ../shared/kafka-message-specs-4.3.1
SHARED_SPECS_OLD ?= ../shared/kafka-message-specs

.PHONY: install native gen gen-check import-schemas kafka-config-defs build typecheck deps-check run test test-node24 pack-test compat compat-cluster bench bench-smoke docker-test ci clean

node_modules/.installed: package.json package-lock.json
	$(NPM) ci --no-fund --no-audit
	@touch $@

install: node_modules/.installed

# Regenerate protocol codecs from the project's own schemas (schemas/).
gen: install
	npx tsx scripts/gen-protocol.ts

# CI guard: regenerating must not change a generated file.
gen-check: gen
	@git diff --exit-code --stat -- src/protocol/generated || { echo "generated code is stale: run 'make gen' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- src/protocol/generated)" || { git status --porcelain -- src/protocol/generated; echo "generated code has untracked files: run 'make gen' and commit"; exit 1; }

# Refresh schemas/ from Kafka 4.3.1's JSON specs, with the older versions Kafka 4 dropped
# taken from the October 2024 trunk specs (needs ../shared).
import-schemas: install
	npx tsx scripts/import-schemas.ts schemas kafka-4.3.1=$(SHARED_SPECS) trunk-1eb7644349cb=$(SHARED_SPECS_OLD)

# Refresh src/config/kafka-config-defs.ts (the names, types, defaults and dynamic-update modes
# of Kafka's broker, topic, group and client metrics settings) from Kafka's own jars. Needs
# Java and the jars of test/compat/kafka/kafka.sh; the build only reads the checked-in file.
kafka-config-defs:
	test/compat/kafka/kafka.sh fetch
	eval "$$(test/compat/kafka/kafka.sh env)"; java -cp "$$KAFKA_LIBS/*" scripts/kafka-config-defs/DumpConfigDefs.java > src/config/kafka-config-defs.ts.tmp
	mv src/config/kafka-config-defs.ts.tmp src/config/kafka-config-defs.ts

# tsc writes dist/src (type declarations, and the JavaScript the image uses); the bundle in
# dist/bundle is what bin/skiff.js and `import 'skiff'` run (scripts/bundle.ts says why).
# Rebuilt only when a source changed, so `make run` starts at once the second time.
BUILD_INPUTS := $(shell find src scripts -type f) $(shell find bench -name '*.ts') tsconfig.json package.json
build: install native dist/.built
dist/.built: $(BUILD_INPUTS) node_modules/.installed
	npx tsc -p tsconfig.json
	npx tsx scripts/bundle.ts
	npm run --silent build:console
	@touch $@

# The sendfile(2) addon for fetch (src/server/file-sender.ts), prebuilt for linux-x64 and
# linux-arm64 (with gcc-aarch64-linux-gnu) so that the npm package ships it. Optional: without
# it (no compiler, another platform) the broker reads segment files into buffers instead.
NATIVE_SENDFILE := native/sendfile/prebuilds/.built
native: $(NATIVE_SENDFILE)
$(NATIVE_SENDFILE): native/sendfile/sendfile.c scripts/build-sendfile.sh
	@scripts/build-sendfile.sh
	@touch $@

typecheck: install
	npx tsc -p tsconfig.test.json

# The layers of src/ (.dependency-cruiser.cjs): prints which folder imports which, then fails on
# a cycle between folders or modules, or an import of a higher layer.
deps-check: install
	@echo "layer graph (each folder or top-level file -> what it imports):"
	@npx depcruise src --config .dependency-cruiser.cjs --output-type text --collapse '^src/[^/]+' --include-only '^src/' \
	  | awk -F' → ' '{ sub(/^src\//, "", $$1); sub(/^src\//, "", $$2); d[$$1] = d[$$1] (d[$$1] ? ", " : "") $$2 } END { for (f in d) print "  " f " -> " d[f] }' | sort
	npx depcruise src --config .dependency-cruiser.cjs --output-type err

run: build
	node bin/skiff.js start

# The packed npm package installed where no compiler runs, then kafkajs against startBroker()
# and `npx skiff start`; prints the package size and the install time.
pack-test: build
	scripts/pack-test.sh

# The unit suite under Node 24 (official build from the npm registry, cached in .cache/node24);
# prints one plain line, not vitest's summary.
test-node24: build
	scripts/test-node24.sh

# The results file is removed first so that a run which writes none is never judged by an old one.
test: build
	@mkdir -p .cache && rm -f .cache/vitest-results.json
	npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest-results.json; \
	  status=$$?; node scripts/test-summary.mjs .cache/vitest-results.json || status=1; exit $$status

# Real clients against real Apache Kafka and against Skiff (test/compat/README.md); writes test/compat/COMPAT.md.
# COMPAT_ARGS: e.g. --clients kafkajs,raw or --only produce-consume-gzip.
compat: build
	node_modules/.bin/tsx test/compat/run.ts $(COMPAT_ARGS)

# One cluster scenario against a 3-broker Skiff and a 3-node Kafka (test/compat/kafka/kafka-cluster.sh);
# only when asked: starting three JVMs and the scenario take about 2.5 minutes.
compat-cluster: build
	node_modules/.bin/vitest run --config test/compat/cluster/vitest.config.ts

# Skiff vs Apache Kafka (test/compat/kafka/kafka.sh), same clients, one table with ratios;
# writes BENCHMARKS.md (results and growth sections) and bench/results/ (growth curves: charts and
# growth.json; `npx tsx bench/run.ts --no-growth` skips them), then what produce validation costs
# per codec beside Kafka (bench/results/validation.md) and what a /metrics scraper and an open
# console page cost the Kafka port (bench/results/http-overhead.md). About 45 minutes. Never pass/fail.
bench: build
	npx tsx bench/run.ts
	npx tsx bench/stamp.ts > bench/results/validation.md
	npx tsx bench/validation-bench.ts 5 --kafka --micro | tee -a bench/results/validation.md
	npx tsx bench/stamp.ts > bench/results/http-overhead.md
	npx tsx bench/http-overhead.ts 4 256 | tee -a bench/results/http-overhead.md
	npx tsx bench/stamp.ts > bench/results/share-groups.md
	npx tsx bench/share-group-bench.ts | tee -a bench/results/share-groups.md
	npx tsx bench/cluster-bench.ts | tee bench/results/cluster.md

# CI: Skiff only, tiny loads, seconds long; keeps the harness working. Numbers NOT meaningful.
bench-smoke: build
	npx tsx bench/run.ts --smoke

# The image, compose file and testcontainers modules, built and run for real with Docker or
# Podman (docker/test.sh; installs Podman as root on a bare Debian machine). Plain output, no
# test-runner summary; skips with one line where no container runtime exists.
docker-test: build
	bash docker/test.sh

# The unit/e2e suite runs last: CI reads the run's closing line ("tests: N passed, N failed, N skipped").
ci: install gen-check typecheck deps-check build docker-test pack-test test-node24 compat bench-smoke test

clean:
	rm -rf dist node_modules
