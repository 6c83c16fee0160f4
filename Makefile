# Conveniences; CI runs .ci/run.
.PHONY: generate test ci

generate:
	go generate ./api

test:
	go test ./...

ci:
	./.ci/run
