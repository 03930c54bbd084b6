package main

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// fakeEngine serves the gRPC health service on loopback, as the engine does.
func fakeEngine(t *testing.T) (addr string, stop func()) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()
	return lis.Addr().String(), srv.Stop
}

func TestWatchEngineStopsTheHostWhenTheEngineIsGone(t *testing.T) {
	addr, stopEngine := fakeEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := watchEngine(ctx, addr, 50*time.Millisecond, cancel); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
		t.Fatal("stopped while the engine was alive")
	case <-time.After(300 * time.Millisecond):
	}
	stopEngine()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the host kept running 5 s after its engine was gone")
	}
}

func TestWatchEngineWithoutAnAddressWatchesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := watchEngine(ctx, "", 10*time.Millisecond, cancel); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
		t.Fatal("stopped with no engine to watch")
	case <-time.After(100 * time.Millisecond):
	}
}

func TestHealthIntervalFromTheEnvironment(t *testing.T) {
	t.Setenv(healthEnv, "250ms")
	if d := healthInterval(); d != 250*time.Millisecond {
		t.Fatalf("interval %v", d)
	}
	t.Setenv(healthEnv, "nonsense")
	if d := healthInterval(); d != defaultHealthInterval {
		t.Fatalf("a bad value must fall back to the default, got %v", d)
	}
}
