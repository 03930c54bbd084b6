// Command pulumi-language-python is this project's own Python language host for the Pulumi engine.
//
// Why it exists: the engine (github.com/pulumi/pulumi/pkg/v3) and the SDK (github.com/pulumi/pulumi/sdk/v3) are
// served by the Go module proxy, but the upstream language host lives in a nested module
// (sdk/python/cmd/pulumi-language-python/v3) that the proxy we can reach refuses to serve. lab/engine/install
// therefore builds this package, next to the engine, from the module lab/engine (go.mod requires pkg/v3 and sdk/v3
// at the pinned version). It is LAB TOOLING: users and runners use the official CLI and its own language host. It is written against the LanguageRuntime gRPC service of that SDK and reuses the SDK's own
// Python toolchain package (pip / poetry / uv virtual environments) and its PolicyProxy (policy packs).
//
// What it implements: Handshake, GetPluginInfo, GetRequiredPackages (and the older GetRequiredPlugins), Run (through
// the pulumi-language-python-exec shim that sits beside this binary), InstallDependencies, About,
// GetProgramDependencies, RuntimeOptionsPrompts (none) and RunPlugin (policy packs through `python -m pulumi.policy`,
// Python provider plugins by running their directory). Code generation (GeneratePackage, GenerateProgram, ...) is not
// implemented: this project does not generate SDKs.
//
// The engine starts it as `pulumi-language-python [--logtostderr] [-v=N] [--tracing URL] <engine-address>`, reads
// the port printed on the first stdout line and talks gRPC to 127.0.0.1:<port>.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/blang/semver"
	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	execShimName = "pulumi-language-python-exec"
	// The exec shim exits with this code after it has already shown the user an error: the engine then bails
	// without printing another "program failed" message.
	exitCodeUserMessageShown = 32
)

func main() {
	args := parseArgs(os.Args[1:])
	logging.InitLogging(args.logToStderr, args.verbose, args.logFlow)

	execPath := args.options["use-executor"]
	if execPath == "" {
		self, err := os.Executable()
		if err != nil {
			fatal(fmt.Errorf("locating this executable: %w", err))
		}
		if resolved, err := filepath.EvalSymlinks(self); err == nil {
			self = resolved
		}
		execPath = filepath.Join(filepath.Dir(self), execShimName)
	}
	if _, err := os.Stat(execPath); err != nil {
		fatal(fmt.Errorf("the Python exec shim is missing: %w", err))
	}

	host := &languageHost{
		engineAddress: args.engine,
		tracing:       args.tracing,
		execPath:      execPath,
		legacyOptions: args.options,
	}

	// Stop on SIGINT/SIGTERM, and when the engine that started us is gone.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := watchEngine(ctx, args.engine, healthInterval(), stop); err != nil {
		fatal(fmt.Errorf("could not watch the engine at %s: %w", args.engine, err))
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Cancel:  stopChannel(ctx),
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fatal(fmt.Errorf("could not start the language host gRPC server: %w", err))
	}

	// The engine reads the port from our first stdout line.
	fmt.Printf("%d\n", handle.Port)

	select {
	case err := <-handle.Done:
		if err != nil {
			fatal(fmt.Errorf("language host stopped serving: %w", err))
		}
	case <-ctx.Done():
		// A graceful stop waits for calls in flight; a program whose engine is gone cannot finish one, so give
		// it a moment and then leave anyway.
		select {
		case <-handle.Done:
		case <-time.After(5 * time.Second):
		}
	}
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-python: error: %v\n", err)
	os.Exit(1)
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	tracing       string
	execPath      string
	legacyOptions map[string]string
}

func (h *languageHost) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

func (h *languageHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// runtimeOptions are the `runtime.options` of Pulumi.yaml / PulumiPolicy.yaml / PulumiPlugin.yaml.
type runtimeOptions struct {
	virtualenv  string
	toolchain   string
	typechecker string
}

func (h *languageHost) options(info *pulumirpc.ProgramInfo) runtimeOptions {
	get := func(key string) string {
		if info != nil && info.GetOptions() != nil {
			if v, ok := info.GetOptions().GetFields()[key]; ok {
				if s, ok := v.GetKind().(*structpb.Value_StringValue); ok {
					return s.StringValue
				}
			}
		}
		return h.legacyOptions[key]
	}
	return runtimeOptions{
		virtualenv:  get("virtualenv"),
		toolchain:   strings.ToLower(get("toolchain")),
		typechecker: strings.ToLower(get("typechecker")),
	}
}

// resolveToolchain picks pip (with or without a virtualenv), poetry or uv, as the options say.
func (h *languageHost) resolveToolchain(info *pulumirpc.ProgramInfo) (toolchain.Toolchain, runtimeOptions, error) {
	opts := h.options(info)
	root, programDir := "", ""
	if info != nil {
		root, programDir = info.GetRootDirectory(), info.GetProgramDirectory()
	}
	if root == "" {
		root, _ = os.Getwd()
	}
	if programDir == "" {
		programDir = root
	}
	pyOpts := toolchain.PythonOptions{Root: root, ProgramDir: programDir, Virtualenv: opts.virtualenv}
	switch opts.toolchain {
	case "", "auto":
		pyOpts.Toolchain = toolchain.Auto
	case "pip":
		pyOpts.Toolchain = toolchain.Pip
	case "poetry":
		pyOpts.Toolchain = toolchain.Poetry
	case "uv":
		pyOpts.Toolchain = toolchain.Uv
	default:
		return nil, opts, fmt.Errorf("unsupported Python toolchain %q (use pip, poetry or uv)", opts.toolchain)
	}
	switch opts.typechecker {
	case "":
	case "mypy":
		pyOpts.Typechecker = toolchain.TypeCheckerMypy
	case "pyright":
		pyOpts.Typechecker = toolchain.TypeCheckerPyright
	default:
		return nil, opts, fmt.Errorf("unsupported Python typechecker %q (use mypy or pyright)", opts.typechecker)
	}
	tc, err := toolchain.ResolveToolchain(pyOpts)
	return tc, opts, err
}

// command builds `python <args>` for the toolchain, on top of the given environment (nil: this process's).
func command(ctx context.Context, tc toolchain.Toolchain, baseEnv []string, args ...string) (*exec.Cmd, error) {
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return nil, err
	}
	if baseEnv == nil {
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		return cmd, nil
	}
	env := baseEnv
	if venv, err := tc.VirtualEnvPath(ctx); err == nil && venv != "" {
		env = toolchain.ActivateVirtualEnv(env, venv)
	}
	cmd.Env = env
	return cmd, nil
}

// pluginProbe lists installed distributions that carry a pulumi-plugin.json (or the older pulumiplugin.json) in a
// top-level package, plus every `pulumi-*` distribution, as JSON on stdout.
const pluginProbe = `
import json, importlib.metadata as md
seen, out = set(), []
for dist in md.distributions():
    name = (dist.metadata["Name"] or "").strip()
    key = name.lower().replace("_", "-")
    if not name or key in seen:
        continue
    seen.add(key)
    found = None
    for f in dist.files or []:
        if len(f.parts) == 2 and f.name in ("pulumi-plugin.json", "pulumiplugin.json"):
            found = str(dist.locate_file(f))
            if f.name == "pulumi-plugin.json":
                break
    if found or key.startswith("pulumi-"):
        out.append({"name": key, "version": dist.version, "plugin_json": found})
print(json.dumps(out))
`

type probedPackage struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	PluginJSON string `json:"plugin_json"`
}

// packagesWithoutPlugins ship no resource plugin even though their name starts with pulumi-.
var packagesWithoutPlugins = map[string]bool{"pulumi": true, "pulumi-policy": true}

func (h *languageHost) requiredPackages(
	ctx context.Context, info *pulumirpc.ProgramInfo,
) ([]*pulumirpc.PackageDependency, error) {
	tc, _, err := h.resolveToolchain(info)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	cmd, err := command(ctx, tc, nil, "-c", pluginProbe)
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing installed Python packages: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var probed []probedPackage
	if err := json.Unmarshal(out, &probed); err != nil {
		return nil, fmt.Errorf("parsing the installed package list: %w", err)
	}

	var deps []*pulumirpc.PackageDependency
	for _, p := range probed {
		if packagesWithoutPlugins[p.Name] && p.PluginJSON == "" {
			continue
		}
		dep := &pulumirpc.PackageDependency{Kind: string(apitype.ResourcePlugin)}
		if p.PluginJSON != "" {
			meta, err := plugin.LoadPulumiPluginJSON(p.PluginJSON)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", p.PluginJSON, err)
			}
			if !meta.Resource {
				continue
			}
			dep.Name, dep.Version, dep.Server = meta.Name, meta.Version, meta.Server
			if pz := meta.Parameterization; pz != nil {
				dep.Parameterization = &pulumirpc.PackageParameterization{
					Name: pz.Name, Version: pz.Version, Value: pz.Value,
				}
			}
			if ext := meta.ExtensionParameterization; ext != nil {
				dep.Extension = &pulumirpc.PackageParameterization{
					Name: ext.Name, Version: ext.Version, Value: ext.Value,
				}
			}
		}
		if dep.Name == "" {
			dep.Name = strings.TrimPrefix(p.Name, "pulumi-")
		}
		if dep.Version == "" {
			// Only a plain X.Y.Z package version maps onto a plugin version; pre-release package versions such as
			// 1.2.0a123 lose the plugin's build suffix, so such packages are skipped (as upstream does).
			v, err := semver.ParseTolerant(p.Version)
			if err != nil || len(v.Pre) > 0 || strings.ContainsAny(p.Version, "abcr") {
				logging.V(5).Infof("GetRequiredPackages: no plugin version for %s %s", p.Name, p.Version)
				continue
			}
			dep.Version = v.String()
		}
		if !strings.HasPrefix(dep.Version, "v") {
			dep.Version = "v" + dep.Version
		}
		deps = append(deps, dep)
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return deps, nil
}

func (h *languageHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps, err := h.requiredPackages(ctx, req.GetInfo())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

//nolint:staticcheck // the deprecated call is still made by older engines
func (h *languageHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	deps, err := h.requiredPackages(ctx, req.GetInfo())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetRequiredPluginsResponse{}
	for _, d := range deps {
		if d.Parameterization != nil {
			continue
		}
		resp.Plugins = append(resp.Plugins, &pulumirpc.PluginDependency{
			Name: d.Name, Kind: d.Kind, Version: d.Version, Server: d.Server,
		})
	}
	return resp, nil
}

// typecheck runs mypy or pyright over the program directory when the project asks for it.
func typecheck(ctx context.Context, tc toolchain.Toolchain, opts runtimeOptions, dir string) error {
	var module string
	switch opts.typechecker {
	case "":
		return nil
	case "mypy":
		module = "mypy"
	case "pyright":
		module = "pyright"
	}
	cmd, err := command(ctx, tc, nil, "-m", module, dir)
	if err != nil {
		return err
	}
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s type checking failed: %w", module, err)
	}
	return nil
}

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if req.GetAttachDebugger() {
		return nil, status.Error(codes.Unimplemented, "this language host cannot attach a debugger")
	}
	tc, opts, err := h.resolveToolchain(req.GetInfo())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	pwd := req.GetPwd()
	if pwd == "" && req.GetInfo() != nil {
		pwd = req.GetInfo().GetProgramDirectory()
	}
	if err := typecheck(ctx, tc, opts, pwd); err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	program := req.GetProgram()
	if req.GetInfo() != nil && req.GetInfo().GetEntryPoint() != "" {
		program = req.GetInfo().GetEntryPoint()
	}
	if program == "" {
		program = "."
	}

	shimArgs := []string{"-u", h.execPath}
	add := func(flag, value string) {
		if value != "" {
			shimArgs = append(shimArgs, "--"+flag, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engine())
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("organization", req.GetOrganization())
	add("pwd", pwd)
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", h.tracing)
	if req.GetInfo() != nil {
		add("root_directory", req.GetInfo().GetRootDirectory())
	}
	shimArgs = append(shimArgs, program)
	shimArgs = append(shimArgs, req.GetArgs()...)

	cmd, err := command(ctx, tc, nil, shimArgs...)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	configMap := req.GetConfig()
	if configMap == nil {
		configMap = map[string]string{}
	}
	config, err := json.Marshal(configMap)
	if err != nil {
		return nil, fmt.Errorf("encoding the stack configuration: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("encoding the secret configuration keys: %w", err)
	}
	cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON))
	cmd.Dir = pwd
	// The engine reads this process's stdout and stderr and shows them as the program's output.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr

	logging.V(5).Infof("language host running %v", cmd.Args)
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitCodeUserMessageShown {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode()),
			}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Problem executing program (could not run language executor): %v", err),
		}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// streamWriter forwards written bytes as one kind of gRPC stream message.
type streamWriter struct {
	mu   *sync.Mutex
	send func([]byte) error
}

func (w streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	buf := make([]byte, len(p))
	copy(buf, p)
	if err := w.send(buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	ctx := server.Context()
	tc, _, err := h.resolveToolchain(req.GetInfo())
	if err != nil {
		return err
	}
	var mu sync.Mutex
	stdout := streamWriter{&mu, func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b})
	}}
	stderr := streamWriter{&mu, func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b})
	}}
	dir := req.GetDirectory()
	if req.GetInfo() != nil && req.GetInfo().GetProgramDirectory() != "" {
		dir = req.GetInfo().GetProgramDirectory()
	}
	if err := tc.InstallDependencies(ctx, dir, req.GetUseLanguageVersionTools(), true, stdout, stderr); err != nil {
		return err
	}
	return nil
}

func (h *languageHost) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *languageHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	tc, opts, err := h.resolveToolchain(req.GetInfo())
	if err != nil {
		return nil, err
	}
	info, err := tc.About(ctx)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{"host": "ndes pulumi-language-python (lab/engine)"}
	if opts.toolchain != "" {
		meta["toolchain"] = opts.toolchain
	}
	if info.ToolchainVersion.Major != 0 || info.ToolchainVersion.Minor != 0 {
		meta["toolchainVersion"] = info.ToolchainVersion.String()
	}
	if opts.typechecker != "" {
		meta["typechecker"] = opts.typechecker
	}
	if venv, err := tc.VirtualEnvPath(ctx); err == nil && venv != "" {
		meta["virtualenv"] = venv
	}
	return &pulumirpc.AboutResponse{
		Executable: info.PythonExecutable,
		Version:    info.PythonVersion.String(),
		Metadata:   meta,
	}, nil
}

func (h *languageHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	tc, _, err := h.resolveToolchain(req.GetInfo())
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	pkgs, err := tc.ListPackages(ctx, req.GetTransitiveDependencies())
	if err != nil {
		return nil, err
	}
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, p := range pkgs {
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return resp, nil
}

// RunPlugin runs a plugin written in Python: a policy pack (analyzer) or a provider from source.
func (h *languageHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	ctx := server.Context()
	if req.GetAttachDebugger() {
		return status.Error(codes.Unimplemented, "this language host cannot attach a debugger")
	}
	tc, _, err := h.resolveToolchain(req.GetInfo())
	if err != nil {
		return err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return err
	}

	var mu sync.Mutex
	stdout := streamWriter{&mu, func(b []byte) error {
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}})
	}}
	stderr := streamWriter{&mu, func(b []byte) error {
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}})
	}}

	programDir := req.GetProgram()
	if req.GetInfo() != nil && req.GetInfo().GetProgramDirectory() != "" {
		programDir = req.GetInfo().GetProgramDirectory()
	}
	env := req.GetEnv()
	if len(env) == 0 {
		env = os.Environ()
	}

	var cmd *exec.Cmd
	if req.GetKind() == string(apitype.AnalyzerPlugin) {
		err = h.runPolicyPack(ctx, tc, req, env, programDir, stdout, stderr)
	} else {
		// A provider (or tool) plugin from source: run its directory's __main__.py with the engine's arguments.
		args := append([]string{"-u", programDir}, req.GetArgs()...)
		if cmd, err = command(ctx, tc, env, args...); err == nil {
			cmd.Dir = req.GetPwd()
			cmd.Stdout, cmd.Stderr = stdout, stderr
			err = cmd.Run()
		}
	}
	return sendExit(server, err)
}

func sendExit(server pulumirpc.LanguageRuntime_RunPluginServer, err error) error {
	code := int32(0)
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return err
		}
		code = int32(exitErr.ExitCode()) //nolint:gosec // exit codes fit
	}
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}

// runPolicyPack serves the engine's Analyzer calls through the SDK's PolicyProxy: the proxy's port goes to the
// engine first, and once the engine has sent the stack configuration the pack itself is started with
// `python -m pulumi.policy <engine> <dir>`, configured through the environment the pulumi_policy library reads.
func (h *languageHost) runPolicyPack(
	ctx context.Context, tc toolchain.Toolchain, req *pulumirpc.RunPluginRequest, env []string,
	programDir string, stdout, stderr io.Writer,
) error {
	proxy, packStdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return err
	}
	stackConfig, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return err
	}

	packEnv := append([]string{}, env...)
	if stackConfig != nil {
		if len(stackConfig.GetConfig()) > 0 {
			config, err := json.Marshal(stackConfig.GetConfig())
			if err != nil {
				return err
			}
			packEnv = append(packEnv, "PULUMI_CONFIG="+string(config))
		}
		if keys := stackConfig.GetConfigSecretKeys(); len(keys) > 0 {
			secretKeys, err := json.Marshal(keys)
			if err != nil {
				return err
			}
			packEnv = append(packEnv, "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
		}
		for k, v := range map[string]string{
			"PULUMI_ORGANIZATION": stackConfig.GetOrganization(),
			"PULUMI_PROJECT":      stackConfig.GetProject(),
			"PULUMI_STACK":        stackConfig.GetStack(),
			"PULUMI_DRY_RUN":      strconv.FormatBool(stackConfig.GetDryRun()),
		} {
			if v != "" {
				packEnv = append(packEnv, k+"="+v)
			}
		}
	}

	args := append([]string{"-u", "-m", "pulumi.policy"}, req.GetArgs()...)
	if len(req.GetArgs()) == 0 {
		args = append(args, h.engine())
	}
	args = append(args, programDir)
	cmd, err := command(ctx, tc, packEnv, args...)
	if err != nil {
		proxy.Abort(err)
		return err
	}
	cmd.Dir = programDir
	cmd.Stdout, cmd.Stderr = packStdout, stderr
	if err := cmd.Start(); err != nil {
		proxy.Abort(err)
		return err
	}
	return proxy.Attach(ctx, cmd)
}
