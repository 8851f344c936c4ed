# Argos: the two set-up commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := build

ART      := $(CURDIR)/artifacts
BIN      := $(ART)/bin
RID      := linux-x64
AOTFLAGS := -c Release -r $(RID) -p:PublishAot=true -p:StaticExecutable=true \
            -p:PositionIndependentExecutable=false -p:StripSymbols=false
export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1

.PHONY: deps build argosfs argos-initramfs test test-unit test-qemu demo \
        bench-meta bench-ec bench-import bench-fs bench-boot clean

deps:
	@bash scripts/deps.sh

# One statically linked native-AOT argosfs (zstd, lz4, libsodium linked in) and the host tool.
build: deps argosfs argos-initramfs

argosfs:
	@mkdir -p $(BIN)
	dotnet publish src/argosfs/Argos.Cli/Argos.Cli.csproj $(AOTFLAGS) -o $(ART)/publish/argosfs --nologo -v quiet
	objcopy --strip-debug $(ART)/publish/argosfs/argosfs $(BIN)/argosfs
	@file $(BIN)/argosfs | grep -q 'statically linked' || { echo "build: $(BIN)/argosfs is not statically linked" >&2; exit 1; }
	@echo "build: $(BIN)/argosfs (static native AOT)"

argos-initramfs:
	@mkdir -p $(BIN)
	dotnet publish src/argos-initramfs/argos-initramfs.csproj -c Release -o $(ART)/publish/argos-initramfs --nologo -v quiet
	ln -sfn ../publish/argos-initramfs/argos-initramfs $(BIN)/argos-initramfs
	@echo "build: $(BIN)/argos-initramfs"

# Unit, integration, mounted and QEMU tests; ends with `N passed, N failed, N skipped`.
test: build
	@bash scripts/test.sh

test-unit: build
	@ARGOS_TEST_QEMU=0 bash scripts/test.sh

test-qemu: build
	@bash tests/qemu/run all

demo: build
	@bash scripts/demo.sh

bench-meta: build
	@bash bench/meta/run.sh

bench-ec: deps
	@bash bench/ec/run.sh

bench-import: build
	@bash bench/import/run.sh

bench-fs: build
	@bash bench/fs/run.sh

bench-boot: build
	@bash bench/boot/run.sh

clean:
	rm -rf $(ART)
	find src tests bench -name bin -o -name obj | xargs rm -rf
