package main

import "testing"

func TestParseArgsEngineIsTheLastPositional(t *testing.T) {
	a := parseArgs([]string{"--logtostderr", "-v=9", "--tracing", "file:/tmp/t", "127.0.0.1:4567"})
	if a.engine != "127.0.0.1:4567" || !a.logToStderr || a.verbose != 9 || a.tracing != "file:/tmp/t" {
		t.Fatalf("unexpected parse: %+v", a)
	}
}

func TestParseArgsLegacyOptionsAndUnknownFlags(t *testing.T) {
	a := parseArgs([]string{"--virtualenv", "venv", "--toolchain=uv", "--some-new-flag", "-v", "3", "engine:1"})
	if a.options["virtualenv"] != "venv" || a.options["toolchain"] != "uv" {
		t.Fatalf("legacy options not kept: %+v", a.options)
	}
	if a.verbose != 3 || a.engine != "engine:1" {
		t.Fatalf("unexpected parse: %+v", a)
	}
	if _, ok := a.options["some-new-flag"]; ok {
		t.Fatalf("an unknown flag became an option: %+v", a.options)
	}
}

func TestParseArgsNoEngine(t *testing.T) {
	if a := parseArgs(nil); a.engine != "" {
		t.Fatalf("engine from nothing: %q", a.engine)
	}
}
