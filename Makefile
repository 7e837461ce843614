# siommu: the two commands a newcomer needs are `make demo` and `make check`.
# Both install missing Debian packages first (apt-get, as root or via sudo).

BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
BENCH_BUILD?= build-release
MESON      ?= meson
JOBS       ?= $(shell nproc)

.PHONY: all deps build demo check check-asan tsan valgrind bench conformance install clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	$(MESON) setup $(BUILD) --buildtype=debugoptimized

$(ASAN_BUILD)/build.ninja:
	$(MESON) setup $(ASAN_BUILD) --buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false

$(TSAN_BUILD)/build.ninja:
	CC=clang $(MESON) setup $(TSAN_BUILD) --buildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false

$(BENCH_BUILD)/build.ninja:
	$(MESON) setup $(BENCH_BUILD) --buildtype=release

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD) -j$(JOBS)

# The main job: the built-in demo.
demo: build
	$(BUILD)/tools/siommu demo

# Default suites on the debug-optimised build, then the unit, e2e and
# integrity suites under ASan+UBSan (a failure path that leaks shows there);
# one closing line sums both runs.
check: build $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD) -j$(JOBS)
	rc=0; \
	$(MESON) test -C $(BUILD) --no-rebuild --print-errorlogs \
		--suite unit --suite e2e --suite integrity --suite stress --suite fuzz \
		--suite preload || rc=1; \
	cp $(BUILD)/meson-logs/testlog.json $(BUILD)/meson-logs/check-default.json; \
	$(MESON) test -C $(ASAN_BUILD) --no-rebuild --print-errorlogs --setup asan \
		--suite unit --suite e2e --suite integrity || rc=1; \
	cp $(ASAN_BUILD)/meson-logs/testlog-asan.json $(ASAN_BUILD)/meson-logs/check-asan.json; \
	scripts/test-summary $(BUILD)/meson-logs/check-default.json \
		$(ASAN_BUILD)/meson-logs/check-asan.json || rc=1; \
	exit $$rc

# Linux's own iommufd selftests through the preload library (a Linux
# source tree or linux-source-*.tar.xz in LINUX_SRC); not part of check.
LINUX_SRC ?= /usr/src/linux-source-6.12.tar.xz
conformance: build
	tools/linux-selftest.sh $(LINUX_SRC) $(BUILD)

tsan: deps $(TSAN_BUILD)/build.ninja
	ninja -C $(TSAN_BUILD) -j$(JOBS)
	$(MESON) test -C $(TSAN_BUILD) --no-rebuild --print-errorlogs --setup tsan --suite stress

valgrind: build
	$(MESON) test -C $(BUILD) --no-rebuild --print-errorlogs --setup valgrind --suite unit --suite integrity --no-suite meta

bench: deps $(BENCH_BUILD)/build.ninja
	ninja -C $(BENCH_BUILD) -j$(JOBS)
	$(BENCH_BUILD)/tools/siommu bench all

# The library, headers, pkg-config file, the siommu tool, its manual page and
# docs/scenarios.md, under PREFIX (default /usr/local; DESTDIR for staging).
PREFIX ?= /usr/local
install: build
	$(MESON) configure $(BUILD) -Dprefix=$(PREFIX)
	$(MESON) install -C $(BUILD) $(if $(DESTDIR),--destdir $(DESTDIR))

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(BENCH_BUILD)
