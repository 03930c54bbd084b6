package main

import (
	"strconv"
	"strings"
)

// cliArgs are the flags the engine (or a person) may pass. Unknown flags are ignored rather than fatal, so that a
// newer engine passing a new flag does not break the host.
type cliArgs struct {
	tracing     string
	verbose     int
	logToStderr bool
	logFlow     bool
	engine      string
	// Legacy per-option flags (older engines passed runtime options this way).
	options map[string]string
}

func parseArgs(argv []string) cliArgs {
	a := cliArgs{options: map[string]string{}}
	var positional []string
	for i := 0; i < len(argv); i++ {
		arg := argv[i]
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			positional = append(positional, arg)
			continue
		}
		name := strings.TrimLeft(arg, "-")
		value, hasValue := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = k, v, true
		}
		switch name {
		case "logtostderr":
			a.logToStderr = !hasValue || value == "true"
		case "logflow":
			a.logFlow = !hasValue || value == "true"
		case "v":
			if !hasValue && i+1 < len(argv) {
				i++
				value = argv[i]
			}
			a.verbose, _ = strconv.Atoi(value)
		case "tracing", "virtualenv", "root", "toolchain", "typechecker", "use-executor":
			if !hasValue && i+1 < len(argv) {
				i++
				value = argv[i]
			}
			if name == "tracing" {
				a.tracing = value
			} else {
				a.options[name] = value
			}
		}
	}
	if len(positional) > 0 {
		a.engine = positional[len(positional)-1]
	}
	return a
}
